// SCENARIO=ask (default): launch an ask_user → answer_user workflow, answer the "Run is waiting"
// dialog, see the status reach completed.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, STEP_MS, connect, fail, launch, openObserve, probeOptionalTabs } from './harness.mjs';

const RESPONSE = process.env.RESPONSE ?? 'Ada';

/** The shipped demo-ask bundle, or (when none is shipped) a small ask → answer bundle of our own. */
export async function setup() {
  const shipped = join(REPO, 'bundles');
  const names = existsSync(shipped) ? await readdir(shipped) : [];
  if (names.includes('demo-ask.flow')) return { flowsDir: shipped, workflow: process.env.WORKFLOW ?? 'demo-ask:ask-name', cleanup: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'observer-acceptance-flows-'));
  const bdir = join(dir, 'acceptance-ask.flow');
  await mkdir(join(bdir, 'flows'), { recursive: true });
  const x = (id) => ({ id, type: 'execution' });
  const p = (id, type = 'any') => ({ id, type });
  const flow = {
    id: 'ask-name',
    name: 'ask-name',
    nodes: [
      { id: 'start', type: 'on_flow_start', data: { nodeType: 'on_flow_start', inputs: [], outputs: [x('exec-out')] } },
      { id: 'ask', type: 'ask_user', data: { nodeType: 'ask_user', label: 'Ask name', inputs: [x('exec-in'), p('prompt', 'string')], outputs: [x('exec-out'), p('response', 'string')], pinDefaults: { prompt: 'What is your name?' } } },
      { id: 'say', type: 'answer_user', data: { nodeType: 'answer_user', label: 'Greet', inputs: [x('exec-in'), p('message', 'string')], outputs: [x('exec-out')] } },
      { id: 'end', type: 'on_flow_end', data: { nodeType: 'on_flow_end', inputs: [x('exec-in'), p('response', 'string')], outputs: [] } },
    ],
    edges: [
      { source: 'start', sourceHandle: 'exec-out', target: 'ask', targetHandle: 'exec-in' },
      { source: 'ask', sourceHandle: 'exec-out', target: 'say', targetHandle: 'exec-in' },
      { source: 'say', sourceHandle: 'exec-out', target: 'end', targetHandle: 'exec-in' },
      { source: 'ask', sourceHandle: 'response', target: 'say', targetHandle: 'message' },
      { source: 'ask', sourceHandle: 'response', target: 'end', targetHandle: 'response' },
    ],
  };
  const manifest = {
    bundle_format_version: '1',
    bundle_id: 'acceptance-ask',
    bundle_version: '0.0.1',
    entrypoints: [{ flow_id: 'ask-name', name: 'ask-name', description: 'Asks a name and answers it', interfaces: [] }],
    default_entrypoint: 'ask-name',
    flows: { 'ask-name': 'flows/ask-name.json' },
  };
  await writeFile(join(bdir, 'manifest.json'), JSON.stringify(manifest));
  await writeFile(join(bdir, 'flows', 'ask-name.json'), JSON.stringify(flow));
  return { flowsDir: dir, workflow: process.env.WORKFLOW ?? 'acceptance-ask:ask-name', cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function drive(ui, { observerUrl, gatewayUrl, token, workflow }) {
  const { page, step, shot } = ui;
  await connect(ui, { observerUrl, gatewayUrl, token });
  await launch(ui, workflow);
  let before = 0;
  await step('Observe: ledger cards (.lc) appear live while the run waits', async () => {
    await openObserve(page);
    await page.locator('.lc').first().waitFor({ timeout: STEP_MS });
    await page.locator('.overlay .modal').waitFor({ timeout: STEP_MS });
    await page.locator('.status_bar', { hasText: 'waiting' }).waitFor({ timeout: STEP_MS });
    before = await page.locator('.lc').count();
    const h2 = await page.locator('.overlay .modal h2').textContent();
    if (!/Run is waiting/.test(h2 ?? '')) fail(`unexpected modal: ${h2}`);
    await shot('observe-waiting-modal');
  });
  await step('Waiting modal: Submit response', async () => {
    await page.getByPlaceholder('Type response…').fill(RESPONSE);
    const cmd = page.waitForResponse((r) => r.url().endsWith('/api/gateway/commands') && r.request().method() === 'POST', { timeout: STEP_MS });
    await page.getByRole('button', { name: 'Submit response', exact: true }).click();
    const res = await cmd;
    if (!res.ok()) fail(`POST /commands -> ${res.status()} ${await res.text()}`);
  });
  await step('Observe: answer_user card rendered, status bar reaches completed', async () => {
    await page.locator('.lc', { hasText: 'answer_user' }).first().waitFor({ timeout: STEP_MS });
    await page.locator('.status_bar', { hasText: 'completed' }).waitFor({ timeout: STEP_MS });
    const after = await page.locator('.lc').count();
    if (after <= before) fail(`no new ledger cards after the answer (${before} → ${after})`);
    await shot('observe-completed');
  });
  return { cardsBefore: before, cardsAfter: await page.locator('.lc').count(), cardTitles: await page.locator('.lc .lc_title').allTextContents(), optionalTabs: await probeOptionalTabs(ui) };
}
