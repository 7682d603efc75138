// Store conformance: Runs: inserts, optimistic versions, lease-fenced updates.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { LeaseLost, VersionConflict } from '../../../src/store/types.js';
import type { CaseRunner } from './backend.js';
import { T0, LEASE_MS, makeRun, makeRecord, insert, append, claimIds } from './fixtures.js';

export function runCases({ withRuntime }: CaseRunner): void {
  describe('runs', () => {
    it('inserts and reads back a run at version 1', withRuntime(async (rt) => {
      const run = makeRun({ vars: { prompt: 'héllo', nested: { list: [1, 2] } }, session_id: 's1' });
      await insert(rt, run);
      assert.deepEqual(await rt.getRun(run.run_id), { run, version: 1, ledger_len: 0, lease_owner: null, lease_epoch: 0 });
      assert.equal(await rt.getRun('missing'), null);
    }));

    it('reads a run stamp (version, ledger length) that moves with every update and append', withRuntime(async (rt) => {
      const run = makeRun();
      await insert(rt, run);
      assert.deepEqual(await rt.getRunStamp(run.run_id), { version: 1, ledger_len: 0 });
      await rt.tx((tx) => tx.updateRun({ ...run, current_node: 'b' }, 1));
      await append(rt, run.run_id, [makeRecord(run.run_id), makeRecord(run.run_id)]);
      assert.deepEqual(await rt.getRunStamp(run.run_id), { version: 2, ledger_len: 2 });
      assert.equal(await rt.getRunStamp('missing'), null);
    }));

    it('refuses a duplicate insert and keeps the original', withRuntime(async (rt) => {
      const run = makeRun();
      await insert(rt, run);
      await assert.rejects(insert(rt, { ...run, workflow_id: 'other' }));
      assert.equal((await rt.getRun(run.run_id))?.run.workflow_id, 'wf@1');
    }));

    it('updates with optimistic versions and reports conflicts', withRuntime(async (rt) => {
      const run = makeRun();
      await insert(rt, run);
      const v2 = await rt.tx((tx) => tx.updateRun({ ...run, current_node: 'b' }, 1));
      assert.equal(v2, 2);
      await assert.rejects(rt.tx((tx) => tx.updateRun({ ...run, current_node: 'stale' }, 1)), VersionConflict);
      const stored = await rt.getRun(run.run_id);
      assert.equal(stored?.version, 2);
      assert.equal(stored?.run.current_node, 'b');
      await assert.rejects(rt.tx((tx) => tx.updateRun(makeRun(), 1)));
    }));

    it('keeps ledger_len across updates', withRuntime(async (rt) => {
      const run = makeRun();
      await insert(rt, run);
      await append(rt, run.run_id, [makeRecord(run.run_id), makeRecord(run.run_id)]);
      await rt.tx((tx) => tx.updateRun({ ...run, status: 'completed' }, 1));
      assert.equal((await rt.getRun(run.run_id))?.ledger_len, 2);
    }));

    it('fences updates with the lease: LeaseLost after another owner takes an expired lease', withRuntime(async (rt) => {
      const run = makeRun();
      await insert(rt, run);
      const [claimA] = await rt.claimRunnable('A', LEASE_MS, 1, T0);
      const fenceA = { owner: 'A', epoch: claimA!.lease_epoch };
      assert.equal(await rt.tx((tx) => tx.updateRun({ ...run, current_node: 'a1' }, 1, { fence: fenceA })), 2);

      const [claimB] = await rt.claimRunnable('B', LEASE_MS, 1, T0 + LEASE_MS);
      assert.equal(claimB?.lease_epoch, claimA!.lease_epoch + 1);
      // Even naming the current version, A's write is refused: it no longer holds the lease.
      await assert.rejects(rt.tx((tx) => tx.updateRun({ ...run, current_node: 'a2' }, 2, { fence: fenceA })), LeaseLost);
      assert.equal(await rt.renewLease(run.run_id, fenceA, LEASE_MS, T0 + LEASE_MS), false);
      const fenceB = { owner: 'B', epoch: claimB!.lease_epoch };
      assert.equal(await rt.tx((tx) => tx.updateRun({ ...run, current_node: 'b1' }, 2, { fence: fenceB })), 3);
      const stored = await rt.getRun(run.run_id);
      assert.equal(stored?.run.current_node, 'b1');
      assert.equal(stored?.lease_owner, 'B');
      assert.equal(stored?.lease_epoch, fenceB.epoch);
    }));

    it('releases the lease together with a checkpoint', withRuntime(async (rt) => {
      const run = makeRun();
      await insert(rt, run);
      const [claim] = await rt.claimRunnable('A', LEASE_MS, 1, T0);
      await rt.tx((tx) => tx.updateRun(run, 1, { fence: { owner: 'A', epoch: claim!.lease_epoch }, releaseLease: true }));
      assert.equal((await rt.getRun(run.run_id))?.lease_owner, null);
      assert.deepEqual(await claimIds(rt, 'B', T0 + 1), [run.run_id]);
    }));
  });
}
