// Store conformance: Post-commit hints published on store.notifier: after the commit, never for rolled-back work.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isoFromMs } from '../../../src/model/time.js';
import type { CaseRunner } from './backend.js';
import { T0, LEASE_MS, makeRun, makeRecord, waitingRun, command, insert, append } from './fixtures.js';

export function notifierCases({ withStore, withRuntime }: CaseRunner): void {
  describe('post-commit events', () => {
    it('signals ledger growth after the commit, with the last seq', withStore(async (store) => {
      const rt = store.scope('rt-a');
      const run = makeRun();
      await insert(rt, run);
      const seen: Array<[string, string, number]> = [];
      const reads: Array<Promise<number>> = [];
      const off = store.notifier.on('ledger', (runtimeId, runId, lastSeq) => {
        seen.push([runtimeId, runId, lastSeq]);
        // A read started from the listener must already see the records.
        reads.push(store.scope(runtimeId).readLedger(runId, 0, 100).then((p) => p.items.length));
      });
      await rt.tx(async (tx) => {
        await tx.appendLedger(run.run_id, [makeRecord(run.run_id), makeRecord(run.run_id)]);
        assert.deepEqual(seen, [], 'no event before commit');
      });
      await Promise.all([append(rt, run.run_id, [makeRecord(run.run_id)]), append(rt, run.run_id, [makeRecord(run.run_id)])]);
      off();
      await append(rt, run.run_id, [makeRecord(run.run_id)]);
      // Concurrent appends may be coalesced into one signal carrying the highest seq.
      assert.deepEqual(seen[0], ['rt-a', run.run_id, 2]);
      assert.deepEqual(seen[seen.length - 1], ['rt-a', run.run_id, 4]);
      const counts = await Promise.all(reads);
      seen.forEach(([, , lastSeq], i) => assert.ok(counts[i]! >= lastSeq));
    }));

    it('signals runnable runs and submitted commands, never for rolled-back work', withStore(async (store) => {
      const rt = store.scope('rt-a');
      const events: string[] = [];
      store.notifier.on('runnable', (id) => events.push(`runnable:${id}`));
      store.notifier.on('command', (id) => events.push(`command:${id}`));
      store.notifier.on('ledger', (id) => events.push(`ledger:${id}`));

      await assert.rejects(
        rt.tx(async (tx) => {
          const r = makeRun();
          await tx.insertRun(r);
          await tx.appendLedger(r.run_id, [makeRecord(r.run_id)]);
          throw new Error('rollback');
        }),
      );
      assert.deepEqual(events, []);

      await insert(rt, waitingRun({ reason: 'user' }));
      assert.deepEqual(events, [], 'a run only a command can wake is not runnable');
      await insert(rt, makeRun());
      assert.deepEqual(events, ['runnable:rt-a']);

      const cmd = command('r1');
      await rt.submitCommand(cmd);
      await rt.submitCommand(cmd);
      assert.deepEqual(events, ['runnable:rt-a', 'command:rt-a']);

      const timer = waitingRun({ reason: 'until', until: isoFromMs(T0 + 1000) });
      await store.scope('rt-b').tx((tx) => tx.insertRun(timer));
      assert.deepEqual(events.slice(2), ['runnable:rt-b']);
    }));

    it('signals runnable when a lease is handed back on a runnable run', withRuntime(async (rt, store) => {
      const run = makeRun();
      await insert(rt, run);
      const [claim] = await rt.claimRunnable('A', LEASE_MS, 1, T0);
      let count = 0;
      store.notifier.on('runnable', () => count++);
      await rt.releaseLease(run.run_id, { owner: 'A', epoch: claim!.lease_epoch });
      assert.equal(count, 1);
    }));
  });
}
