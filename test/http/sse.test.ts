// The ledger SSE stream over a real socket: reference framing, push delivery, terminal close,
// Last-Event-ID resumption without gap or duplicate.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exec, data, wire, flowOf } from '../flow/flowkit.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { writeBundleDir, workflowIds } from '../helpers/bundles.js';
import { SseReader, hasDone, steps } from '../helpers/sse.js';
import type { RunState } from '../../src/model/run.js';

const askFlow = flowOf(
  [
    exec('start', 'on_flow_start', { entry: true, outputs: [] }),
    exec('hello', 'answer_user', { inputs: ['message'], pinDefaults: { message: 'hello' } }),
    exec('ask', 'ask_user', { inputs: ['prompt'], outputs: ['response'], pinDefaults: { prompt: 'Name?' } }),
    exec('end', 'on_flow_end', { inputs: ['response'], execOuts: [] }),
  ],
  [wire('start', 'hello'), wire('hello', 'ask'), wire('ask', 'end'), data('ask', 'response', 'end', 'response')],
  { id: 'ask' },
);

describe('ledger SSE stream', () => {
  let s: TestServer;
  let wf: string;
  const waitFor = async (id: string, pred: (r: RunState) => boolean) => {
    for (let i = 0; i < 500; i++) {
      const r = await s.plane.runtime.getRun(id);
      if (r && pred(r)) return r;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error('timeout');
  };
  before(async () => {
    s = await startServer();
    await writeBundleDir(s.flowsDir, 'sse', [askFlow]);
    await s.plane.catalog.reloadBundles();
    wf = workflowIds('sse', [askFlow]).ask;
  });
  after(() => s.close());

  const start = async () => (await s.plane.runtime.startRun({ workflow_id: wf })).run_id;
  const answer = (id: string) => s.plane.runtime.submitCommand({ run_id: id, type: 'resume', payload: { payload: { response: 'Ada' } } });

  it('replays a finished run with the reference framing, then sends done and closes', async () => {
    const id = await start();
    await waitFor(id, (r) => r.status === 'waiting');
    await answer(id);
    await waitFor(id, (r) => r.status === 'completed');
    const res = await s.api(`/api/gateway/runs/${id}/ledger/stream?after=0&heartbeat_s=0.2`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const text = await res.text(); // the response ends by itself
    const ledger = (await s.plane.runtime.readLedger(id, 0, 100)).items;
    const expected =
      ledger.map((record, i) => `id: ${i + 1}\nevent: step\ndata: ${JSON.stringify({ cursor: i + 1, record })}\n\n`).join('') +
      `event: done\ndata: ${JSON.stringify({ run_id: id, cursor: ledger.length, status: 'terminal' })}\n\n`;
    assert.equal(text, expected);
  });

  it('pushes live records as they commit and closes after the terminal record', async () => {
    const id = await start();
    const res = await s.api(`/api/gateway/runs/${id}/ledger/stream`);
    const sse = new SseReader(res);
    const waiting = await sse.until((f) => steps(f).some((st) => st.record.status === 'waiting'));
    assert.deepEqual(
      steps(waiting).map((st) => `${st.record.node_id} ${st.record.status}`),
      ['hello started', 'hello completed', 'ask started', 'ask waiting'],
    );
    await answer(id);
    const all = await sse.until(hasDone);
    const cursors = steps(all).map((st) => st.cursor);
    assert.deepEqual(cursors, cursors.map((_, i) => i + 1));
    assert.equal(steps(all).at(-1).record.idempotency_key, 'system:terminal_status:completed');
    await sse.until(() => sse.ended);
  });

  it('resumes from Last-Event-ID with no gap and no duplicate', async () => {
    const id = await start();
    const first = new SseReader(await s.api(`/api/gateway/runs/${id}/ledger/stream`));
    const got = await first.until((f) => steps(f).length >= 2);
    const seen = steps(got);
    const lastId = got.filter((f) => f.event === 'step').at(-1)!.id!;
    await first.cancel();
    await waitFor(id, (r) => r.status === 'waiting');
    await answer(id);
    const second = new SseReader(await s.api(`/api/gateway/runs/${id}/ledger/stream?after=0`, { headers: { 'last-event-id': lastId } }));
    const rest = steps(await second.until(hasDone));
    const ledger = (await s.plane.runtime.readLedger(id, 0, 100)).items;
    assert.equal(rest[0].cursor, Number(lastId) + 1);
    assert.deepEqual([...seen, ...rest].map((st) => st.record), ledger);
  });

  it('sends keep-alive comments while idle', async () => {
    const id = await start();
    const sse = new SseReader(await s.api(`/api/gateway/runs/${id}/ledger/stream?heartbeat_s=0.2`));
    await sse.until((f) => f.some((x) => x.comment === 'keep-alive'), 3000);
    await sse.cancel();
  });

  it('answers 404 with a JSON detail before opening a stream for an unknown run, and 422 for bad parameters', async () => {
    const res = await s.api('/api/gateway/runs/nope/ledger/stream');
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { detail: "Run 'nope' not found" });
    const bad = await s.api('/api/gateway/runs/nope/ledger/stream?heartbeat_s=0.05');
    assert.equal(bad.status, 422);
    const body = (await bad.json()) as { detail: { loc: unknown[] }[] };
    assert.deepEqual(body.detail[0].loc, ['query', 'heartbeat_s']);
  });
});
