// SSE streams and clients that stop reading (issue 7), over real sockets: the server queues one
// socket buffer per stalled stream (not its replay), adds no listener per write, closes the
// stream once its socket stays full past ABSTRACTGATEWAY_SSE_STALL_S, and the client resumes
// with Last-Event-ID without gap or duplicate. Also: the done frame carries the real cursor.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Socket } from 'node:net';
import { exec, data, wire, flowOf } from '../flow/flowkit.js';
import { bigFlow } from '../helpers/budget-flows.js';
import { TEST_TOKEN, startServer, type TestServer } from '../helpers/http.js';
import { writeBundleDir, workflowIds } from '../helpers/bundles.js';
import { SseReader, hasDone, parseFrames, steps } from '../helpers/sse.js';
import { waitUntil } from '../helpers/processes.js';
import type { RunState, StepRecord } from '../../src/model/run.js';
import { makeRecord } from '../../src/runtime/records.js';
import { nowIso } from '../../src/model/time.js';

const askFlow = flowOf(
  [
    exec('start', 'on_flow_start', { entry: true, outputs: [] }),
    exec('ask', 'ask_user', { inputs: ['prompt'], outputs: ['response'], pinDefaults: { prompt: 'Name?' } }),
    exec('end', 'on_flow_end', { inputs: ['response'], execOuts: [] }),
  ],
  [wire('start', 'ask'), wire('ask', 'end'), data('ask', 'response', 'end', 'response')],
  { id: 'ask' },
);

/** A stream on its own socket whose client reads the headers and then nothing. */
function stalledStream(url: string, path: string): Promise<{ res: http.IncomingMessage; received(): Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url + path, { agent: false, headers: { authorization: `Bearer ${TEST_TOKEN}` } }, (res) => {
      res.pause(); // the body stays unread: the client's buffers fill, then the server's socket
      resolve({
        res,
        /** Reads what arrived before the server closed the stream. */
        received: () =>
          new Promise((done) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('close', () => done(text));
            res.resume();
          }),
      });
    });
    req.on('error', reject);
  });
}

describe('SSE slow clients', () => {
  let s: TestServer;
  let wf: Record<string, string>;
  const STALL_S = 1.5;
  const waitFor = (id: string, pred: (r: RunState) => boolean) =>
    waitUntil(async () => {
      const r = await s.plane.runtime.getRun(id);
      return r && pred(r) ? r : undefined;
    }, `run ${id}`);
  const ledgerOf = async (id: string) => (await s.plane.runtime.readLedger(id, 0, 100_000)).items;

  before(async () => {
    s = await startServer({ env: { ABSTRACTGATEWAY_SSE_STALL_S: String(STALL_S) } });
    await writeBundleDir(s.flowsDir, 'slow', [bigFlow, askFlow]);
    await s.plane.catalog.reloadBundles();
    wf = workflowIds('slow', [bigFlow, askFlow]);
  });
  after(() => s.close());

  it('queues one socket buffer for a client that stops reading, closes it after the stall limit, and the client resumes with Last-Event-ID', { timeout: 60_000 }, async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      // A waiting run given 200 records of ~100 KB in one transaction: a replay of ~20 MB, far more
      // than the sockets' buffers hold. Answering it later appends the terminal record.
      const { run_id: id } = await s.plane.runtime.startRun({ workflow_id: wf.ask });
      const run = await waitFor(id, (r) => r.status === 'waiting');
      const big = 'x'.repeat(100_000);
      const filler = Array.from({ length: 200 }, (_, i) =>
        makeRecord(run, { node_id: 'say', status: 'completed', effect: { type: 'answer_user', payload: { message: `${i}${big}` }, result_key: null } }, nowIso()),
      );
      await s.gateway.store.scope(s.plane.runtimeId).tx((tx) => tx.appendLedger(id, filler));
      await s.plane.runtime.submitCommand({ run_id: id, type: 'resume', payload: { payload: { response: 'Ada' } } });
      await waitFor(id, (r) => r.status === 'completed');
      const ledger = await ledgerOf(id);
      const ledgerBytes = ledger.reduce((n, r) => n + JSON.stringify(r).length, 0);

      // Watch the server's side of the connection: how much it ever queues for this client.
      let maxQueued = 0;
      const serverClosed = new Promise<void>((resolve) =>
        s.app.server.once('connection', (sock: Socket) => {
          const write = sock.write.bind(sock) as (...a: unknown[]) => boolean;
          sock.write = ((...a: unknown[]) => {
            const ok = write(...a);
            maxQueued = Math.max(maxQueued, sock.writableLength);
            return ok;
          }) as typeof sock.write;
          sock.once('close', () => resolve());
        }),
      );
      // heartbeat_s=0.2: keep-alive ticks keep coming while the socket is full (they used to add listeners).
      const stalled = await stalledStream(s.url, `/api/gateway/runs/${id}/ledger/stream?heartbeat_s=0.2`);
      assert.equal(stalled.res.statusCode, 200);
      await serverClosed; // by the server: this client never reads and never hangs up

      assert.ok(maxQueued < 512 * 1024, `the server queued ${maxQueued} bytes for a client that reads nothing`);
      const text = await stalled.received();
      assert.ok(text.length < ledgerBytes / 2, `a stalled client received ${text.length} of ${ledgerBytes} bytes`);
      const got = steps(parseFrames(text).frames);
      assert.ok(got.length > 0 && got.length < ledger.length, `got ${got.length} of ${ledger.length} records before the close`);
      assert.deepEqual(
        got.map((st) => st.cursor),
        got.map((_, i) => i + 1),
      );

      const lastId = String(got.at(-1).cursor);
      const resumed = new SseReader(await s.api(`/api/gateway/runs/${id}/ledger/stream`, { headers: { 'last-event-id': lastId } }));
      const rest = steps(await resumed.until(hasDone, 20_000));
      assert.equal(rest[0].cursor, Number(lastId) + 1);
      assert.deepEqual(
        [...got, ...rest].map((st) => st.cursor),
        ledger.map((_, i) => i + 1),
      );
      assert.deepEqual(
        [...got, ...rest].map((st) => st.record as StepRecord),
        ledger,
      );
      assert.deepEqual(
        warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
        [],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('ends a finished run with a done frame that carries the last record cursor when the client cursor is past the end', async () => {
    const { run_id: id } = await s.plane.runtime.startRun({ workflow_id: wf.big, input_data: { n: 2, big: 'b' } });
    await waitFor(id, (r) => r.status === 'completed');
    const len = (await ledgerOf(id)).length;
    for (const [query, headers] of [
      ['?after=1000000', {}],
      ['', { 'last-event-id': '9'.repeat(400) }],
    ] as const) {
      const sse = new SseReader(await s.api(`/api/gateway/runs/${id}/ledger/stream${query}`, { headers }));
      const frames = await sse.until(hasDone);
      assert.deepEqual(steps(frames), []);
      assert.deepEqual(JSON.parse(frames.find((f) => f.event === 'done')!.data!), { run_id: id, cursor: len, status: 'terminal' });
    }
  });

  it('follows a live run from the end of its ledger when the client cursor is past it, and ends with the real cursor', async () => {
    const { run_id: id } = await s.plane.runtime.startRun({ workflow_id: wf.ask });
    await waitFor(id, (r) => r.status === 'waiting');
    const before = (await ledgerOf(id)).length;
    const sse = new SseReader(await s.api(`/api/gateway/runs/${id}/ledger/stream?after=1000000`));
    await s.plane.runtime.submitCommand({ run_id: id, type: 'resume', payload: { payload: { response: 'Ada' } } });
    const frames = await sse.until(hasDone);
    const ledger = await ledgerOf(id);
    assert.deepEqual(
      steps(frames).map((st) => st.record),
      ledger.slice(before),
    );
    assert.equal(JSON.parse(frames.find((f) => f.event === 'done')!.data!).cursor, ledger.length);
  });
});
