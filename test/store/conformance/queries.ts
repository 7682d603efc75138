// Store conformance: Run queries: waiting runs by key, children, filtered and paged listings.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isoFromMs } from '../../../src/model/time.js';
import type { RuntimeStore } from '../../../src/store/types.js';
import type { CaseRunner } from './backend.js';
import { T0, makeRun, waitingRun, insert } from './fixtures.js';

export function queryCases({ withRuntime }: CaseRunner): void {
  describe('queries', () => {
    it('findWaitingRuns matches reason and keys among waiting runs', withRuntime(async (rt) => {
      const e1 = waitingRun({ reason: 'event', wait_key: 'k1' });
      const e2 = waitingRun({ reason: 'event', wait_key: 'k2' });
      const e3 = waitingRun({ reason: 'event', wait_key: 'k3' });
      const user = waitingRun({ reason: 'user', wait_key: 'k1' });
      const done = makeRun({ status: 'completed' });
      await insert(rt, e1, e2, e3, user, done);
      const found = await rt.tx((tx) => tx.findWaitingRuns('event', ['k1', 'k2', 'nope'], 10));
      assert.deepEqual(found.map((s) => s.run.run_id).sort(), [e1.run_id, e2.run_id].sort());
      assert.equal((await rt.tx((tx) => tx.findWaitingRuns('event', ['k1', 'k2', 'k3'], 2))).length, 2);
      assert.deepEqual(await rt.tx((tx) => tx.findWaitingRuns('event', [], 10)), []);
      // Once resumed, a run no longer matches.
      await rt.tx((tx) => tx.updateRun({ ...e1, status: 'running', waiting: null }, 1));
      assert.deepEqual((await rt.tx((tx) => tx.findWaitingRuns('event', ['k1'], 10))).map((s) => s.run.run_id), []);
    }));

    it('listChildren returns direct children oldest first', withRuntime(async (rt) => {
      const parent = makeRun();
      const c1 = makeRun({ parent_run_id: parent.run_id });
      const c2 = makeRun({ parent_run_id: parent.run_id });
      const grandchild = makeRun({ parent_run_id: c1.run_id });
      await insert(rt, parent, c1);
      await insert(rt, c2, grandchild);
      assert.deepEqual((await rt.tx((tx) => tx.listChildren(parent.run_id))).map((s) => s.run.run_id), [c1.run_id, c2.run_id]);
      assert.deepEqual(await rt.tx((tx) => tx.listChildren(c2.run_id)), []);
    }));

    it('listRuns filters, orders by updated_at desc and pages', withRuntime(async (rt) => {
      const at = (s: number) => isoFromMs(T0 + s * 1000);
      const root1 = makeRun({ workflow_id: 'wf-a', session_id: 's1', updated_at: at(1) });
      const root2 = makeRun({ workflow_id: 'wf-b', session_id: 's1', status: 'completed', updated_at: at(4) });
      const child = makeRun({ workflow_id: 'wf-a', parent_run_id: root1.run_id, updated_at: at(3) });
      const root3 = waitingRun({ reason: 'user' }, { workflow_id: 'wf-a', session_id: 's2', updated_at: at(2) });
      await insert(rt, root1, root2, child, root3);
      const ids = async (q: Parameters<RuntimeStore['listRuns']>[0]) => (await rt.listRuns(q)).map((s) => s.run.run_id);

      assert.deepEqual(await ids({}), [root2.run_id, child.run_id, root3.run_id, root1.run_id]);
      assert.deepEqual(await ids({ status: 'completed' }), [root2.run_id]);
      assert.deepEqual(await ids({ workflow_id: 'wf-a' }), [child.run_id, root3.run_id, root1.run_id]);
      assert.deepEqual(await ids({ session_id: 's1' }), [root2.run_id, root1.run_id]);
      assert.deepEqual(await ids({ parent_run_id: root1.run_id }), [child.run_id]);
      assert.deepEqual(await ids({ root_only: true }), [root2.run_id, root3.run_id, root1.run_id]);
      assert.deepEqual(await ids({ workflow_id: 'wf-a', root_only: true, status: 'running' }), [root1.run_id]);
      assert.deepEqual(await ids({ limit: 2 }), [root2.run_id, child.run_id]);
      assert.deepEqual(await ids({ limit: 2, before_updated_at: child.updated_at }), [root3.run_id, root1.run_id]);

      // An update moves a run to the front.
      await rt.tx((tx) => tx.updateRun({ ...root1, updated_at: at(9) }, 1));
      assert.deepEqual(await ids({ limit: 1 }), [root1.run_id]);
    }));
  });
}
