// Agent runs at the network boundary: the real basic-agent bundle, the gateway over a real socket,
// a scripted OpenAI-compatible provider. The agent node runs its ReAct child as a durable sub-run.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/http.js';
import { openai, startProviderServer, type ProviderServer } from '../helpers/provider-server.js';
import { ledger, startRun, terminal, waitRun } from './runs-kit.js';

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
    // TOOLS-MERGE: assert.ok(sent.body.tools.length > 0, 'the allowlisted tools are offered natively');

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
});
