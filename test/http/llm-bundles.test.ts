// Reference bundles that need an LLM, run to the outputs of spec runtime-visualflow §9.6 against a
// scripted OpenAI-compatible provider (the bundles name provider `openai`, model `gpt-5-mini`).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/http.js';
import { openai, startProviderServer, type ProviderServer } from '../helpers/provider-server.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ledger, postCommand, startRun, terminal, waitRun } from './runs-kit.js';

const ROUTE = 'POST /v1/chat/completions';
const lastUserText = (body: any): string => body.messages.at(-1).content;

describe('reference LLM bundles (§9.6) against a scripted provider', () => {
  let provider: ProviderServer;
  let s: TestServer;
  before(async () => {
    provider = await startProviderServer();
    s = await startServer({
      fixtures: ['basic-followup@dev.flow', 'coder@dev.flow', 'ralph@dev.flow', 'test@dev.flow'],
      env: { OPENAI_BASE_URL: `${provider.url}/v1`, OPENAI_API_KEY: 'sk-test-key' },
    });
  });
  after(async () => {
    await s.close();
    await provider.close();
  });

  /** Answers the next ask_user wait after `seen` ledger records; returns the ledger length then. */
  const resume = async (runId: string, response: string, seen: number): Promise<number> => {
    const run = await waitRun(s, runId, (r) => r.status === 'waiting' && r.waiting?.reason === 'user' && r.ledger_len > seen, 10_000);
    assert.equal(run.waiting.wait_key, `user:${runId}:node-11`);
    const res = await postCommand(s, { command_id: `${runId}-${response}`, run_id: runId, type: 'resume', payload: { wait_key: run.waiting.wait_key, payload: { response } } });
    assert.equal(res.status, 200);
    return run.ledger_len;
  };

  it('basic-followup: an agent, a follow-up question, a second agent, then stop', { timeout: 30_000 }, async () => {
    provider.reply(ROUTE, openai.stream(['first answer']), openai.stream(['second answer']));
    const runId = await startRun(s, { bundle_id: 'basic-followup', input_data: { prompt: 'build x' } });
    await resume(runId, 'stop', await resume(runId, 'more please', 0));
    const run = await waitRun(s, runId, terminal, 10_000);
    assert.equal(run.status, 'completed', JSON.stringify(run));
    const out = (await s.plane.runtime.getRun(runId))!.output!;
    assert.equal(out.response, 'second answer');
    assert.equal(out.success, true);
    const agents = (await ledger(s, runId)).filter((r) => r.node_id === 'node-3' && r.status === 'waiting');
    assert.equal(agents.length, 2, 'two agent children');
  });

  it('coder: the reviewer gets the exact concatenated prompt', { timeout: 30_000 }, async () => {
    provider.reply(ROUTE, openai.stream(['coded it']), openai.stream(['reviewed it']));
    const before = provider.requests.length;
    const runId = await startRun(s, { bundle_id: 'coder', input_data: { prompt: 'hi' } });
    const run = await waitRun(s, runId, terminal, 20_000);
    assert.equal(run.status, 'completed', JSON.stringify(run));
    const [coder, reviewer] = provider.requests.slice(before);
    assert.equal(coder.body.model, 'gpt-5-mini');
    assert.equal(coder.headers.authorization, 'Bearer sk-test-key');
    assert.ok(
      lastUserText(reviewer.body).includes('Task:\nUSER QUERY :  hi \\n\\nAGENT RESPONSE : coded it \\n\\nYOUR TASK : analyze what was done, fix and improve'),
      lastUserText(reviewer.body),
    );
  });

  it('ralph: two agents, the reviewer structured pass, then the final llm_call', { timeout: 30_000 }, async () => {
    const verdict = { continue: false, tasks: [], code_quality: 8, intent_fullfilled: 9 };
    provider.reply(ROUTE, openai.stream(['built the todo app']), openai.stream(['looks complete']), openai.stream([JSON.stringify(verdict)]), openai.stream(['Your todo app is ready.']));
    const before = provider.requests.length;
    const runId = await startRun(s, { bundle_id: 'ralph', input_data: { user_request: 'build a todo app' } });
    const run = await waitRun(s, runId, terminal, 20_000);
    assert.equal(run.status, 'completed', JSON.stringify(run));
    const sent = provider.requests.slice(before);
    assert.equal(sent.length, 4);
    assert.equal(sent[2].body.response_format?.json_schema?.name, 'Agent_node-4', 'the structured pass asks for the schema');
    const records = await ledger(s, runId);
    const said = records.filter((r) => r.effect?.type === 'answer_user' && r.status === 'completed').map((r) => r.effect.payload.message);
    assert.deepEqual(said, ['TASKS SET :  build a todo app', 'build a todo app']);
    const out = (await s.plane.runtime.getRun(runId))!.output!;
    assert.equal(out.success, true);
    assert.equal(out.output, 'Your todo app is ready.');
  });

  /** The ReAct child of the root's agent node, once it waits for a tool approval. */
  const approvalWait = async (runId: string) => {
    const root = await waitRun(s, runId, (r) => r.waiting?.reason === 'subworkflow', 10_000);
    const child = root.waiting.details.sub_run_id as string;
    return { child, wait: (await waitRun(s, child, (r) => r.waiting?.wait_key?.startsWith('tool_approval:'), 10_000)).waiting };
  };

  it('test@dev: execute_command waits for approval; approved, it runs in the workspace and the agent answers', { timeout: 30_000 }, async () => {
    provider.reply(
      ROUTE,
      openai.stream([], { calls: [{ id: 'call_1', name: 'execute_command', arguments: { command: 'echo ran > proof.txt' } }] }),
      openai.stream(['The command ran.']),
      openai.stream(['I ran the command; proof.txt was written.']),
    );
    const runId = await startRun(s, { bundle_id: 'test', input_data: { prompt: 'hi' } });
    const { child, wait } = await approvalWait(runId);
    assert.match(wait.wait_key, /^tool_approval:[0-9a-f]{32}$/);
    assert.equal(wait.details.tool_calls[0].name, 'execute_command');
    assert.match(wait.details.tool_calls[0].runtime_call_id, /^rtcall_[0-9a-f]+_1$/);
    await postCommand(s, { command_id: `ok-${child}`, run_id: child, type: 'resume', payload: { wait_key: wait.wait_key, payload: { approved: true } } });
    const run = await waitRun(s, runId, terminal, 20_000);
    assert.equal(run.status, 'completed', JSON.stringify(run));
    const out = (await s.plane.runtime.getRun(runId))!.output!;
    assert.equal(out.success, true);
    const childRun = (await s.plane.runtime.getRun(child))!;
    assert.equal((await readFile(join(childRun.vars.workspace_root, 'proof.txt'), 'utf8')).trim(), 'ran');
  });

  it('cancelling the root while its agent child waits for approval cancels the whole tree', { timeout: 30_000 }, async () => {
    provider.reply(ROUTE, openai.stream([], { calls: [{ id: 'call_2', name: 'execute_command', arguments: { command: 'echo never' } }] }));
    const runId = await startRun(s, { bundle_id: 'test', input_data: { prompt: 'hi' } });
    const { child } = await approvalWait(runId);
    await postCommand(s, { command_id: `cancel-${runId}`, run_id: runId, type: 'cancel', payload: { reason: 'stop' } });
    for (const id of [runId, child]) {
      assert.equal((await waitRun(s, id, terminal, 10_000)).status, 'cancelled');
      const last = (await ledger(s, id)).at(-1);
      assert.equal(last.idempotency_key, 'system:terminal_status:cancelled');
    }
  });
});

