// Store conformance: Runtime scopes: nothing of one runtime is visible to or touchable from another.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isoFromMs } from '../../../src/model/time.js';
import type { CaseRunner } from './backend.js';
import { T0, LEASE_MS, makeRun, makeRecord, command, insert, append, claimIds } from './fixtures.js';

export function scopeCases({ withStore }: CaseRunner): void {
  describe('scope isolation', () => {
    it('keeps runs, ledger, leases and updates apart', withStore(async (store) => {
      const a = store.scope('rt-a');
      const b = store.scope('rt-b');
      const run = makeRun();
      await insert(a, run);
      await append(a, run.run_id, [makeRecord(run.run_id)]);

      assert.equal(await b.getRun(run.run_id), null);
      assert.deepEqual(await b.listRuns({}), []);
      assert.deepEqual((await b.readLedger(run.run_id, 0, 10)).items, []);
      assert.deepEqual(await b.claimRunnable('owner-b', LEASE_MS, 10, T0), []);
      assert.equal(await b.nextWakeAt(), null);
      await assert.rejects(b.tx((tx) => tx.updateRun(run, 1)));
      await assert.rejects(b.tx((tx) => tx.appendLedger(run.run_id, [makeRecord(run.run_id)])));
      const [claim] = await a.claimRunnable('owner', LEASE_MS, 1, T0);
      const fence = { owner: 'owner', epoch: claim!.lease_epoch };
      assert.equal(await b.renewLease(run.run_id, fence, LEASE_MS, T0), false);
      await b.releaseLease(run.run_id, fence);
      assert.equal((await a.getRun(run.run_id))?.lease_owner, 'owner');

      // The same run id may exist independently in another runtime.
      await insert(b, { ...run, workflow_id: 'other' });
      assert.equal((await a.getRun(run.run_id))?.run.workflow_id, 'wf@1');
      assert.equal((await a.getRun(run.run_id))?.ledger_len, 1);
      assert.equal((await b.getRun(run.run_id))?.ledger_len, 0);
      assert.deepEqual(await claimIds(b, 'owner', T0), [run.run_id]);
      assert.equal((await a.getRun(run.run_id))?.lease_epoch, claim!.lease_epoch);
    }));

    it('keeps commands apart', withStore(async (store) => {
      const a = store.scope('rt-a');
      const b = store.scope('rt-b');
      const cmd = command('r1');
      const sa = await a.submitCommand(cmd);
      assert.equal(await b.getCommand(cmd.command_id), null);
      assert.deepEqual(await b.pendingCommands(10), []);
      await assert.rejects(b.tx((tx) => tx.settleCommand(sa.seq, 'applied', null, isoFromMs(T0))));
      // The same command id is independent in another runtime.
      assert.equal((await b.submitCommand({ ...cmd, type: 'cancel' })).accepted, true);
      assert.equal((await a.getCommand(cmd.command_id))?.state, 'pending');
    }));

    it('keeps artifacts apart', withStore(async (store) => {
      const a = store.scope('rt-a');
      const b = store.scope('rt-b');
      const meta = await a.artifacts.put(Buffer.from('secret'), { run_id: 'r1', artifact_id: 'shared-id' });
      assert.equal(await b.artifacts.get(meta.artifact_id), null);
      assert.equal(await b.artifacts.getMetadata(meta.artifact_id), null);
      assert.deepEqual(await b.artifacts.listByRun('r1'), []);
    }));
  });
}
