// Store conformance: Transactions: all or nothing, isolated from concurrent ones committed in the same batch.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isoFromMs } from '../../../src/model/time.js';
import { VersionConflict } from '../../../src/store/types.js';
import type { CaseRunner } from './backend.js';
import { T0, makeRun, makeRecord, command, insert } from './fixtures.js';

export function transactionCases({ withRuntime }: CaseRunner): void {
  describe('transactions', () => {
    it('returns the callback value and sees its own writes', withRuntime(async (rt) => {
      const run = makeRun();
      const out = await rt.tx(async (tx) => {
        await tx.insertRun(run);
        await tx.appendLedger(run.run_id, [makeRecord(run.run_id)]);
        return (await tx.getRun(run.run_id))?.ledger_len;
      });
      assert.equal(out, 1);
    }));

    it('a throwing transaction writes nothing while concurrent ones commit', withRuntime(async (rt) => {
      const base = makeRun();
      await insert(rt, base);
      const cmd = command(base.run_id);
      const { seq } = await rt.submitCommand(cmd);
      const doomed = makeRun();
      const others = Array.from({ length: 5 }, () => makeRun());
      const results = await Promise.allSettled([
        insert(rt, others[0]!, others[1]!),
        rt.tx(async (tx) => {
          await tx.insertRun(doomed);
          await tx.appendLedger(doomed.run_id, [makeRecord(doomed.run_id)]);
          await tx.appendLedger(base.run_id, [makeRecord(base.run_id)]);
          await tx.updateRun({ ...base, status: 'completed' }, 1);
          await tx.settleCommand(seq, 'applied', null, isoFromMs(T0));
          throw new Error('boom');
        }),
        insert(rt, others[2]!),
        rt.tx(async (tx) => {
          await tx.insertRun(others[3]!);
          await tx.insertRun(base); // duplicate: fails inside the tx
        }),
        insert(rt, others[4]!),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
      assert.match(String((results[1] as PromiseRejectedResult).reason), /boom/);
      assert.equal(await rt.getRun(doomed.run_id), null);
      assert.equal(await rt.getRun(others[3]!.run_id), null);
      const stored = await rt.getRun(base.run_id);
      assert.equal(stored?.version, 1);
      assert.equal(stored?.run.status, 'running');
      assert.equal(stored?.ledger_len, 0);
      assert.deepEqual((await rt.readLedger(base.run_id, 0, 10)).items, []);
      assert.equal((await rt.getCommand(cmd.command_id))?.state, 'pending');
      for (const r of [others[0]!, others[1]!, others[2]!, others[4]!]) assert.ok(await rt.getRun(r.run_id), r.run_id);
    }));

    it('a failed step inside a transaction can be caught and the rest still commits', withRuntime(async (rt) => {
      const run = makeRun();
      await insert(rt, run);
      await rt.tx(async (tx) => {
        await assert.rejects(tx.updateRun(run, 99), VersionConflict);
        await tx.updateRun({ ...run, current_node: 'x' }, 1);
      });
      assert.equal((await rt.getRun(run.run_id))?.run.current_node, 'x');
    }));
  });
}
