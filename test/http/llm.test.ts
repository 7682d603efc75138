// llm_call runs at the network boundary: the gateway over a real socket, a scripted
// OpenAI-compatible provider on another socket (test/helpers/provider-server.ts).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/http.js';
import { openai, startProviderServer, type ProviderServer, type Reply } from '../helpers/provider-server.js';
import { SseReader, hasDone, steps } from '../helpers/sse.js';
import { exec, flowOf, wire } from '../flow/flowkit.js';
import { installFlows, ledger, postCommand, startRun, terminal, waitRun } from './runs-kit.js';

const ROUTE = 'POST /v1/chat/completions';
const quickFlow = flowOf(
  [exec('start', 'on_flow_start', { entry: true, outputs: [] }), exec('end', 'on_flow_end', { inputs: [], execOuts: [] })],
  [wire('start', 'end')],
  { id: 'quick' },
);

describe('llm_call runs against a scripted provider', () => {
  let provider: ProviderServer;
  let s: TestServer;
  before(async () => {
    provider = await startProviderServer();
    s = await startServer({ fixtures: ['basic-llm-test@0.0.0.flow'], env: { LMSTUDIO_BASE_URL: `${provider.url}/v1` } });
  });
  after(async () => {
    await s.close();
    await provider.close();
  });

  it('basic-llm-test: started/completed records with the spec result, output with the llm_call meta', async () => {
    provider.reply(ROUTE, openai.stream(['Hel', 'lo!']));
    const runId = await startRun(s, { bundle_id: 'basic-llm-test', input_data: { prompt: 'hi', provider: 'lmstudio', model: 'qwen-test' } });
    const run = await waitRun(s, runId, terminal);
    assert.equal(run.status, 'completed', JSON.stringify(run));
    const sent = provider.requests.at(-1)!;
    assert.equal(sent.body.model, 'qwen-test');
    assert.equal(sent.body.stream, true);
    assert.equal(sent.body.messages.at(-1).content, 'hi');
    const records = await ledger(s, runId);
    const llm = records.filter((r) => r.effect?.type === 'llm_call');
    assert.deepEqual(llm.map((r) => r.status), ['started', 'completed']);
    assert.equal(llm[0].idempotency_key, llm[1].idempotency_key);
    const result = llm[1].result;
    assert.equal(result.content, 'Hello!');
    assert.equal(result.provider, 'lmstudio');
    assert.equal(result.model, 'scripted-model');
    assert.equal(result.finish_reason, 'stop');
    assert.equal(result.tool_calls, null);
    assert.equal(result.usage.total_tokens, 7);
    const stored = await s.plane.runtime.getRun(runId);
    assert.equal(stored!.output!.response, 'Hello!');
    assert.equal(stored!.output!.meta.schema, 'abstractflow.llm_call.v1.meta');
    assert.equal(stored!.output!.meta.output_mode, 'unstructured');
  });

  it('while the call streams, open ledger streams get llm_delta frames; the ledger keeps only the result', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    provider.reply(ROUTE, { ...openai.stream(['Hel', 'lo', ' live']), gate } as Reply);
    const seen = provider.requests.length;
    const runId = await startRun(s, { bundle_id: 'basic-llm-test', input_data: { prompt: 'stream it', provider: 'lmstudio', model: 'm' } });
    await provider.waitForRequests(seen + 1); // the call is in flight, its text held back
    const sse = new SseReader(await s.api(`/api/gateway/runs/${runId}/ledger/stream`));
    await sse.until((f) => steps(f).some((st) => st.record.effect?.type === 'llm_call' && st.record.status === 'started'));
    open();
    const frames = await sse.until(hasDone, 10_000);
    const deltas = frames.filter((f) => f.event === 'llm_delta');
    assert.equal(deltas.map((f) => JSON.parse(f.data!).delta).join(''), 'Hello live');
    assert.ok(deltas.every((f) => f.id === undefined), 'deltas never move the cursor');
    assert.equal(JSON.parse(deltas[0].data!).node_id, 'node-2');
    const completedAt = frames.findIndex((f) => f.event === 'step' && JSON.parse(f.data!).record.status === 'completed');
    assert.ok(frames.indexOf(deltas.at(-1)!) < completedAt, 'the text streams before the completed record');
    const records = await ledger(s, runId);
    assert.ok(!JSON.stringify(records).includes('llm_delta'), 'nothing of the live text is stored');
  });

  it('a truncated answer is asked again with a larger budget', async () => {
    provider.reply(ROUTE, openai.stream(['cut'], { finish: 'length' }), openai.stream(['complete answer']));
    const before = provider.requests.length;
    const runId = await startRun(s, { bundle_id: 'basic-llm-test', input_data: { prompt: 'long please', provider: 'lmstudio', model: 'm' } });
    const run = await waitRun(s, runId, terminal);
    assert.equal(run.status, 'completed', JSON.stringify(run));
    const sent = provider.requests.slice(before);
    assert.equal(sent.length, 2);
    const first = sent[0].body.max_tokens ?? sent[0].body.max_completion_tokens ?? 2048;
    const second = sent[1].body.max_tokens ?? sent[1].body.max_completion_tokens;
    assert.ok(second > first, `budget grew: ${first} → ${second}`);
    assert.equal((await s.plane.runtime.getRun(runId))!.output!.response, 'complete answer');
  });

  it('no provider or model anywhere: the run fails with an error naming what to configure', async () => {
    const runId = await startRun(s, { bundle_id: 'basic-llm-test', input_data: { prompt: 'hi' } });
    const run = await waitRun(s, runId, terminal);
    assert.equal(run.status, 'failed');
    const failed = (await ledger(s, runId)).find((r) => r.effect?.type === 'llm_call' && r.status === 'failed');
    assert.match(failed.error, /ABSTRACTGATEWAY_PROVIDER/);
  });

  it('cancelling the run aborts the provider request', async () => {
    provider.reply(ROUTE, { hang: true });
    const seen = provider.requests.length;
    const runId = await startRun(s, { bundle_id: 'basic-llm-test', input_data: { prompt: 'slow', provider: 'lmstudio', model: 'm' } });
    const [, request] = [await provider.waitForRequests(seen + 1), provider.requests[seen]];
    const res = await postCommand(s, { command_id: `cancel-${runId}`, run_id: runId, type: 'cancel', payload: { reason: 'user' } });
    assert.equal(res.status, 200);
    await request.clientClosed; // the gateway closed the HTTP request
    const run = await waitRun(s, runId, terminal);
    assert.equal(run.status, 'cancelled');
    const records = await ledger(s, runId);
    assert.ok(!records.some((r) => r.effect?.type === 'llm_call' && r.status !== 'started'), 'no result recorded after the cancel');
  });

  it('runs waiting on the provider give their worker slots back: other runs keep flowing', { timeout: 30_000 }, async () => {
    const busy = await startServer({ fixtures: ['basic-llm-test@0.0.0.flow'], env: { LMSTUDIO_BASE_URL: `${provider.url}/v1`, ABSTRACTGATEWAY_TICK_WORKERS: '2' } });
    try {
      const seen = provider.requests.length;
      provider.reply(ROUTE, { hang: true }, { hang: true }, { hang: true }, { hang: true });
      for (let i = 0; i < 4; i++) await startRun(busy, { bundle_id: 'basic-llm-test', input_data: { prompt: `slow ${i}`, provider: 'lmstudio', model: 'm' } });
      await provider.waitForRequests(seen + 4); // 4 calls in flight on 2 tick workers
      await installFlows(busy, 'quick', [quickFlow]);
      const quick = await startRun(busy, { bundle_id: 'quick', flow_id: 'quick', input_data: {} });
      const run = await waitRun(busy, quick, terminal, 20_000);
      assert.equal(run.status, 'completed');
    } finally {
      await busy.close();
    }
  });
});

