// Agent runs at the network boundary: the real basic-agent bundle, the gateway over a real socket,
// a scripted OpenAI-compatible provider. The agent node runs its ReAct child as a durable sub-run.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/http.js';
import { openai, startProviderServer, type ProviderServer } from '../helpers/provider-server.js';
import { ledger, postCommand, startRun, terminal, waitRun } from './runs-kit.js';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

const ROUTE = 'POST /v1/chat/completions';
const summary = (records: any[]) => records.map((r) => `${r.node_id} ${r.effect?.type ?? '-'} ${r.status}`);

describe('agent runs (basic-agent) against a scripted provider', () => {
  let provider: ProviderServer;
  let s: TestServer;
  before(async () => {
    provider = await startProviderServer();
    s = await startServer({ fixtures: ['basic-agent@0.0.1.flow'], env: { LMSTUDIO_BASE_URL: `${provider.url}/v1` } });
  });
  after(async () => {
    await s.close();
    await provider.close();
  });

  it('answers with its default provider and model: root, ReAct child and outputs as the spec', { timeout: 30_000 }, async () => {
    provider.reply(ROUTE, openai.stream(['Hello', ' there!']));
    const runId = await startRun(s, { bundle_id: 'basic-agent', bundle_version: '0.0.1', input_data: { prompt: 'hello' } });
    const run = await waitRun(s, runId, terminal, 20_000);
    assert.equal(run.status, 'completed', JSON.stringify(run));
    const sent = provider.requests.at(-1)!;
    assert.equal(sent.body.model, 'qwen/qwen3-next-80b', 'the bundle default model');
    assert.match(sent.body.messages.at(-1).content, /Task:\nhello/);
    assert.ok(sent.body.tools.some((t: any) => t.function.name === 'write_file'), 'the allowlisted tools are offered natively');

    const root = await ledger(s, runId);
    const agentWait = root.find((r) => r.node_id === 'node-2' && r.status === 'waiting');
    assert.equal(agentWait.result.wait.resume_to_node, 'node-2', 'the agent resumes to itself');
    const childId = agentWait.result.wait.details.sub_run_id;
    assert.match(agentWait.result.wait.details.sub_workflow_id, /^visual_react_agent_basic-agent_0_0_1_81795ea9_node-2$/);
    const child = await ledger(s, childId);
    assert.deepEqual(summary(child), ['reason llm_call started', 'reason llm_call completed', 'done - completed', 'done emit_event completed']);
    assert.equal(child[2].result.output.answer, 'Hello there!');

    const out = (await s.plane.runtime.getRun(runId))!.output!;
    assert.equal(out.response, 'Hello there!');
    assert.equal(out.success, true);
    assert.equal(out.meta.schema, 'abstractcode.agent.v1.meta');
    assert.equal(out.meta.provider, 'lmstudio');
    assert.equal(out.meta.model, 'qwen/qwen3-next-80b');
    assert.equal(out.scratchpad.sub_run_id, childId);
  });

  it('one approved and one denied tool call: the child waits for approval, the client answers, the agent finishes', { timeout: 30_000 }, async () => {
    provider.reply(
      ROUTE,
      openai.stream([], { calls: [{ id: 'call_w', name: 'write_file', arguments: { file_path: 'note.txt', content: 'hello from the agent' } }] }),
      openai.stream([], { calls: [{ id: 'call_x', name: 'execute_command', arguments: { command: 'echo nope > denied.txt' } }] }),
      openai.stream(['I wrote note.txt; the command was denied.']),
      openai.stream(['Wrote note.txt. The command was not run (denied).']),
    );
    const runId = await startRun(s, { bundle_id: 'basic-agent', bundle_version: '0.0.1', input_data: { prompt: 'write a note' } });
    const childOf = async () => {
      const root = await waitRun(s, runId, (r) => r.current_node === 'node-2' && r.waiting?.reason === 'subworkflow', 10_000);
      return root.waiting.details.sub_run_id as string;
    };
    const child = await childOf();
    const answer = async (approved: boolean, seen: number): Promise<number> => {
      const run = await waitRun(s, child, (r) => r.waiting?.wait_key?.startsWith('tool_approval:') && r.ledger_len > seen, 10_000);
      assert.equal(run.waiting.reason, 'user');
      assert.equal(run.waiting.details.mode, 'approval_required');
      const payload = approved ? { approved: true } : { approved: false, reason: 'not this one' };
      const res = await postCommand(s, { command_id: `approve-${run.ledger_len}`, run_id: child, type: 'resume', payload: { wait_key: run.waiting.wait_key, payload } });
      assert.equal(res.status, 200);
      return run.ledger_len;
    };
    await answer(false, await answer(true, 0));
    const done = await waitRun(s, runId, terminal, 20_000);
    assert.equal(done.status, 'completed', JSON.stringify(done));

    const childRun = (await s.plane.runtime.getRun(child))!;
    const workspace = childRun.vars.workspace_root;
    assert.equal(await readFile(join(workspace, 'note.txt'), 'utf8'), 'hello from the agent');
    await assert.rejects(stat(join(workspace, 'denied.txt')), 'the denied command never ran');

    const records = await ledger(s, child);
    const tools = records.filter((r) => r.effect?.type === 'tool_calls');
    assert.deepEqual(tools.map((r) => r.status), ['started', 'waiting', 'started', 'completed', 'started', 'waiting', 'started', 'completed']);
    assert.equal(tools[3].result.results[0].success, true);
    assert.equal(tools[7].result.results[0].success, false);
    assert.match(tools[7].result.results[0].error, /not this one/);
    const out = (await s.plane.runtime.getRun(runId))!.output!;
    assert.equal(out.response, 'Wrote note.txt. The command was not run (denied).');
    assert.equal(out.meta.tool_calls, 2);
    assert.equal(out.meta.tool_results, 2);
  });
});

