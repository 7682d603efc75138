// Ledger replay routes over a real socket (spec core-api §4.2–4.3, scenarios §11.2, §11.3).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/http.js';
import { demoFlows, installFlows, json, ledger, postCommand, startRun, terminal, waitRun, waitingOnKey } from './runs-kit.js';

describe('ledger HTTP', () => {
  let s: TestServer;
  let done: string;
  before(async () => {
    s = await startServer();
    await installFlows(s, 'demo', demoFlows());
    done = await startRun(s, { bundle_id: 'demo', flow_id: 'root' });
    await waitRun(s, done, terminal);
  });
  after(() => s.close());

  const page = (runId: string, q: string) => s.api(`/api/gateway/runs/${runId}/ledger${q}`);

  it('pages by cursor: items = ledger[after:after+limit], next_after = after + items.length', async () => {
    const all = await ledger(s, done);
    assert.ok(all.length >= 3);
    const first = await json(await page(done, '?limit=1'));
    assert.deepEqual(first, { items: [all[0]], next_after: 1 });
    const rest = await json(await page(done, `?after=${first.next_after}&limit=2000`));
    assert.deepEqual(rest.items, all.slice(1));
    assert.equal(rest.next_after, all.length);
    assert.deepEqual(await json(await page(done, '?after=999')), { items: [], next_after: 999 }, 'after past the end is echoed, not clamped');
  });

  it('a page stays exact while the run grows: full pages are reused, a partial page never is', async () => {
    const id = await startRun(s, { bundle_id: 'demo', flow_id: 'ask' });
    await waitRun(s, id, waitingOnKey);
    const before = await ledger(s, id);
    const full = await json(await page(id, `?limit=${before.length}`));
    const partial = await json(await page(id, '?limit=100'));
    assert.deepEqual(partial.items, before);
    await postCommand(s, { command_id: `grow-${id}`, run_id: id, type: 'resume', payload: { payload: { response: 'more' } } });
    await waitRun(s, id, terminal);
    const after = await ledger(s, id);
    assert.ok(after.length > before.length);
    assert.deepEqual(await json(await page(id, `?limit=${before.length}`)), full);
    assert.deepEqual(await json(await page(id, '?limit=100')), { items: after, next_after: after.length });
  });

  it('records have the StepRecord shape', async () => {
    const [rec] = await ledger(s, done);
    assert.deepEqual(Object.keys(rec).sort(), [
      'actor_id', 'attempt', 'effect', 'ended_at', 'error', 'idempotency_key', 'node_id', 'prev_hash', 'record_hash', 'result',
      'run_id', 'session_id', 'signature', 'started_at', 'status', 'step_id',
    ]);
    assert.equal(rec.run_id, done);
  });

  it('unknown run → 404; out-of-range query → 422 list form', async () => {
    assert.deepEqual(await json(await page('nope', ''), 404), { detail: "Run 'nope' not found" });
    for (const q of ['?after=-1', '?limit=0', '?limit=2001', '?after=x']) {
      const body = await json(await page(done, q), 422);
      assert.ok(Array.isArray(body.detail) && body.detail.length > 0, q);
      assert.equal(body.detail[0].loc[0], 'query');
      assert.equal(typeof body.detail[0].msg, 'string');
    }
  });

  it('a waiting run with no records yet is an empty page, not a 404', async () => {
    const id = await startRun(s, { bundle_id: 'demo', flow_id: 'wait_go', session_id: 'ledger-wait' });
    await waitRun(s, id, waitingOnKey);
    assert.equal((await json(await page(id, ''))).next_after, (await ledger(s, id)).length);
  });

  it('§11.2 batch cursors: first batch returns records, the next batch from next_after is empty', async () => {
    const a = await startRun(s, { bundle_id: 'demo', flow_id: 'ask' });
    const b = await startRun(s, { bundle_id: 'demo', flow_id: 'ask' });
    await waitRun(s, a, waitingOnKey);
    await waitRun(s, b, waitingOnKey);
    const batch = (body: unknown) => s.api('/api/gateway/runs/ledger/batch', { method: 'POST', json: body });
    const first = await json(await batch({ runs: [{ run_id: a, after: 0 }, { run_id: b }, { run_id: 'nope' }, { run_id: '  ' }], limit: 200 }));
    assert.deepEqual(Object.keys(first.runs).sort(), [a, b].sort());
    for (const id of [a, b]) {
      assert.ok(first.runs[id].items.length > 0);
      assert.equal(first.runs[id].next_after, first.runs[id].items.length);
    }
    const second = await json(await batch({ runs: [a, b].map((id) => ({ run_id: id, after: first.runs[id].next_after })) }));
    for (const id of [a, b]) assert.deepEqual(second.runs[id], { items: [], next_after: first.runs[id].next_after });
    assert.deepEqual(await json(await batch({})), { runs: {} });
    const limited = await json(await batch({ runs: [{ run_id: done }], limit: 1 }));
    assert.equal(limited.runs[done].items.length, 1);
    assert.equal((await batch({ runs: [{ run_id: a, after: -1 }] })).status, 422);
    assert.equal((await batch({ limit: 2001 })).status, 422);
    assert.equal((await batch({ runs: [{ after: 0 }] })).status, 422);
  });

  it('§11.3 subflow namespacing: start_subworkflow carries "<bundle>@0.0.0:child"', async () => {
    const records = await ledger(s, done);
    const sub = records.find((r) => r.effect?.type === 'start_subworkflow');
    assert.ok(sub, 'a start_subworkflow record');
    assert.equal(sub.effect.payload.workflow_id, 'demo@0.0.0:child');
    assert.equal((await waitRun(s, done, terminal)).status, 'completed');
  });
});
