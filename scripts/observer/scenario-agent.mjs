// SCENARIO=agent: the shipped basic-agent bundle against a scripted OpenAI-compatible provider
// (LMSTUDIO_BASE_URL, the bundle's default provider). The model asks for write_file once, so the
// agent's ReAct child run waits on `tool_approval:<hex>` while the root waits on `subworkflow`
// (spec runtime-visualflow §10.1). Observer shows the root live, descends into the child,
// shows its approval dialog; approving there completes the run and hello.txt exists in the
// run's workspace.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO, STEP_MS, connect, fail, launch, log, openObserve, probeOptionalTabs } from './harness.mjs';

const PROMPT = process.env.PROMPT ?? "Write 'hi' into hello.txt";
const CHAT = 'POST /v1/chat/completions';
const FILE = { file_path: 'hello.txt', content: 'hi' };
const FINAL = 'I wrote hello.txt.';

/** The scripted provider (the test helper's built JS) and the shipped bundles. */
export async function setup() {
  const helper = join(REPO, 'dist', 'test', 'helpers', 'provider-server.js');
  if (!existsSync(helper)) fail(`no ${helper}: run \`npm run build\` first`);
  const { openai, startProviderServer } = await import(helper);
  const provider = await startProviderServer();
  provider.reply(
    CHAT,
    openai.stream([], { calls: [{ id: 'call_write_hello', name: 'write_file', arguments: FILE }] }), // reason: act
    openai.stream([FINAL]), // reason: done
    openai.stream([`${FINAL} It contains "hi".`]), // the agent's finalize pass
  );
  // Observer's Launch page lists the provider's models (GET /discovery/providers/lmstudio/models)
  // as often as it likes; every call gets the list.
  provider.reply('GET /v1/models', ...Array.from({ length: 500 }, () => openai.models(['qwen/qwen3-next-80b'])));
  log(`scripted provider ${provider.url}/v1`);
  return {
    flowsDir: join(REPO, 'bundles'),
    workflow: process.env.WORKFLOW ?? 'basic-agent:basic-agent',
    env: { LMSTUDIO_BASE_URL: `${provider.url}/v1`, ABSTRACTGATEWAY_TOOL_MODE: 'approval' },
    provider,
    cleanup: () => provider.close(),
  };
}

/** Observer's ledger card with this title (node label, `<parent node>::<child node>` for a child) and status. */
const card = (page, title, status) =>
  page
    .locator('.lc')
    .filter({ has: page.locator('.lc_title', { hasText: new RegExp(`^${title}$`) }) })
    .filter({ has: page.locator('.lc_status', { hasText: new RegExp(`^${status}$`, 'i') }) });

export async function drive(ui, { observerUrl, gatewayUrl, token, workflow, gw, provider }) {
  const { page, step, shot } = ui;
  const runtime = gw.gateway.root.runtime;
  await connect(ui, { observerUrl, gatewayUrl, token });
  const rootId = await launch(ui, workflow, { prompt: PROMPT });
  log(`info root run ${rootId}`);

  let childId = '';
  await step('Observe (root): live cards, the root waits on subworkflow, Observer names the child', async () => {
    await openObserve(page);
    await page.locator('.lc').first().waitFor({ timeout: STEP_MS });
    const card = page.locator('.observe_context_card', { hasText: 'subworkflow' });
    await card.waitFor({ timeout: STEP_MS });
    await page.locator('.status_bar', { hasText: 'waiting' }).waitFor({ timeout: STEP_MS });
    childId = (await runtime.getRun(rootId)).waiting?.details?.sub_run_id ?? '';
    if (!childId) fail('the root run does not wait on a child');
    const shown = await card.textContent();
    if (!shown.includes(childId.slice(0, 17))) fail(`the context card does not name child ${childId}: ${shown}`);
    await shot('observe-root-waiting-subworkflow');
  });

  await step('Observe (root): the child is followed live: its write_file llm_call and its approval wait show as agent:: cards', async () => {
    await card(page, 'agent::reason', 'completed').filter({ hasText: 'write_file' }).first().waitFor({ timeout: STEP_MS });
    await card(page, 'agent::act', 'waiting').filter({ hasText: 'waiting • user' }).first().waitFor({ timeout: STEP_MS });
    await shot('observe-root-following-child');
  });

  let waitKey = '';
  await step('Attach to child → "Run is waiting" dialog with the tool_approval wait and the write_file call', async () => {
    await page.getByRole('button', { name: 'Attach to child', exact: true }).dispatchEvent('click');
    const modal = page.locator('.overlay .modal', { hasText: 'tool_approval:' });
    await modal.waitFor({ timeout: STEP_MS });
    const text = (await modal.textContent()) ?? '';
    waitKey = /wait_key: (tool_approval:[0-9a-f]+)/.exec(text)?.[1] ?? '';
    if (!/^tool_approval:[0-9a-f]{32}$/.test(waitKey)) fail(`no tool_approval wait key in the dialog: ${text.slice(0, 300)}`);
    const calls = await modal.locator('textarea').first().inputValue();
    if (!calls.includes('write_file') || !calls.includes('hello.txt')) fail(`the dialog does not show the write_file call: ${calls.slice(0, 300)}`);
    await shot('observe-child-approval-dialog');
  });

  await step('Approve from the dialog → POST /commands resume {wait_key, payload:{approved:true}} on the child', async () => {
    const cmd = page.waitForResponse((r) => r.url().endsWith('/api/gateway/commands') && r.request().method() === 'POST', { timeout: STEP_MS });
    await page.locator('.overlay .modal').getByRole('button', { name: 'Resume (manual / advanced)', exact: true }).click();
    const res = await cmd;
    if (!res.ok()) fail(`POST /commands -> ${res.status()} ${await res.text()}`);
    const body = res.request().postDataJSON();
    if (body.run_id !== childId || body.type !== 'resume' || body.payload?.wait_key !== waitKey || body.payload?.payload?.approved !== true) fail(`unexpected command: ${JSON.stringify(body)}`);
  });

  await step('Observe (child): the write_file result and the done card appear, the child completes', async () => {
    await card(page, 'act', 'completed').filter({ hasText: "Wrote 2 bytes to 'hello.txt'" }).first().waitFor({ timeout: STEP_MS });
    await card(page, 'done', 'completed').first().waitFor({ timeout: STEP_MS });
    await page.locator('.status_bar', { hasText: 'completed' }).waitFor({ timeout: STEP_MS });
    await shot('observe-child-completed');
  });

  await step('Observe (root): re-attached from the run picker, its end card and status reach completed', async () => {
    await page.locator('.run_picker_btn').click();
    await page.locator('.run_picker_filter').fill(rootId);
    await page.locator('.run_card', { hasText: rootId.slice(0, 7) }).first().click({ timeout: STEP_MS });
    await card(page, 'Answer', 'completed').first().waitFor({ timeout: STEP_MS });
    await card(page, 'agent::done', 'completed').first().waitFor({ timeout: STEP_MS });
    await page.locator('.status_bar', { hasText: 'completed' }).waitFor({ timeout: STEP_MS });
    // The picker's run list is only reloaded on Refresh; then its badge shows the root completed too.
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await page.locator('.run_picker_btn .run_selected_status', { hasText: /completed/i }).waitFor({ timeout: STEP_MS });
    await shot('observe-root-completed');
  });

  const root = await runtime.getRun(rootId);
  await step('Gateway: root completed with the final answer; hello.txt in the run workspace; 3 model calls, the first with the typed prompt', async () => {
    if (root.status !== 'completed') fail(`root run is ${root.status}: ${JSON.stringify(root.error ?? root.waiting)}`);
    if (!String(root.output?.response ?? '').startsWith(FINAL)) fail(`unexpected response: ${JSON.stringify(root.output)}`);
    const file = join(root.vars.workspace_root, FILE.file_path);
    if (!existsSync(file) || (await readFile(file, 'utf8')) !== FILE.content) fail(`${file} missing or not '${FILE.content}'`);
    const chats = provider.requests.filter((r) => r.path === '/v1/chat/completions');
    if (chats.length !== 3) fail(`the provider was called ${chats.length} times, expected 3`);
    if (!JSON.stringify(chats[0].body.messages).includes(PROMPT)) fail('the prompt typed in the Launch form did not reach the model');
  });
  return {
    root_run_id: rootId,
    child_run_id: childId,
    wait_key: waitKey,
    response: root.output?.response,
    workspace: root.vars.workspace_root,
    cardTitles: await page.locator('.lc .lc_title').allTextContents(),
    optionalTabs: await probeOptionalTabs(ui, ['Digest', 'Graph', 'Attachments']),
  };
}
