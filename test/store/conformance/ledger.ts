// Store conformance: The ledger: contiguous seq per run, paging, lookups by idempotency and wait key.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { CaseRunner } from './backend.js';
import { makeRun, makeRecord, insert, append } from './fixtures.js';

export function ledgerCases({ withRuntime }: CaseRunner): void {
  describe('ledger', () => {
    it('assigns seq 1..N and pages by offset', withRuntime(async (rt) => {
      const run = makeRun();
      await insert(rt, run);
      const recs = Array.from({ length: 5 }, () => makeRecord(run.run_id));
      assert.equal(await append(rt, run.run_id, recs.slice(0, 2)), 2);
      assert.equal(await append(rt, run.run_id, recs.slice(2)), 5);
      assert.equal((await rt.getRun(run.run_id))?.ledger_len, 5);
      assert.deepEqual(await rt.readLedger(run.run_id, 0, 2), { items: recs.slice(0, 2), next_after: 2 });
      assert.deepEqual(await rt.readLedger(run.run_id, 2, 10), { items: recs.slice(2), next_after: 5 });
      assert.deepEqual(await rt.readLedger(run.run_id, 5, 10), { items: [], next_after: 5 });
      assert.deepEqual(await rt.readLedger(run.run_id, 9, 10), { items: [], next_after: 9 });
      assert.deepEqual(await rt.readLedger('missing', 0, 10), { items: [], next_after: 0 });
      const raw = await rt.readLedgerJson(run.run_id, 1, 3);
      assert.deepEqual({ items: raw.json.map((j) => JSON.parse(j)), next_after: raw.next_after }, { items: recs.slice(1, 4), next_after: 4 });
      assert.deepEqual(await rt.readLedgerJson(run.run_id, 9, 10), { json: [], next_after: 9 });
    }));

    it('refuses to append to an unknown run', withRuntime(async (rt) => {
      await assert.rejects(append(rt, 'missing', [makeRecord('missing')]));
    }));

    it('keeps seq contiguous under many concurrent appends', withRuntime(async (rt) => {
      const run = makeRun();
      await insert(rt, run);
      const batches = Array.from({ length: 40 }, () => Array.from({ length: 3 }, () => makeRecord(run.run_id)));
      const lastSeqs = await Promise.all(batches.map((b) => append(rt, run.run_id, b)));
      const { items, next_after } = await rt.readLedger(run.run_id, 0, 1000);
      assert.equal(next_after, 120);
      assert.deepEqual([...lastSeqs].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => 3 * (i + 1)));
      // Each transaction's records are contiguous and end at the seq it was told.
      batches.forEach((b, i) => {
        const end = lastSeqs[i]!;
        assert.deepEqual(items.slice(end - 3, end).map((r) => r.step_id), b.map((r) => r.step_id));
      });
    }));

    it('finds the first completed record by idempotency key and the last waiting record by wait key', withRuntime(async (rt) => {
      const run = makeRun();
      await insert(rt, run);
      const started = makeRecord(run.run_id, { status: 'started', idempotency_key: 'k1' });
      const done1 = makeRecord(run.run_id, { status: 'completed', idempotency_key: 'k1', result: { n: 1 } });
      const done2 = makeRecord(run.run_id, { status: 'completed', idempotency_key: 'k1', result: { n: 2 } });
      const wait1 = makeRecord(run.run_id, { status: 'waiting', result: { wait: { wait_key: 'w' } } });
      const wait2 = makeRecord(run.run_id, { status: 'waiting', result: { wait: { wait_key: 'w' } } });
      await append(rt, run.run_id, [started, done1, wait1, done2, wait2, makeRecord(run.run_id)]);
      const found = await rt.tx(async (tx) => ({
        completed: await tx.findCompletedRecord(run.run_id, 'k1'),
        noKey: await tx.findCompletedRecord(run.run_id, 'nope'),
        waiting: await tx.findWaitingRecord(run.run_id, 'w'),
        noWait: await tx.findWaitingRecord(run.run_id, 'nope'),
      }));
      assert.deepEqual(found, { completed: done1, noKey: null, waiting: wait2, noWait: null });
    }));
  });
}
