// Store conformance: claimRunnable, leases and nextWakeAt: who may tick which run, and when.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isoFromMs } from '../../../src/model/time.js';
import type { CaseRunner } from './backend.js';
import { T0, LEASE_MS, makeRun, waitingRun, pausedVars, insert, claimIds } from './fixtures.js';

export function leaseCases({ withStore, withRuntime }: CaseRunner): void {
  describe('claimRunnable', () => {
    it('claims running runs, never paused, waiting or terminal ones', withRuntime(async (rt) => {
      const running = makeRun();
      const pausedRunning = makeRun({ vars: pausedVars });
      const user = waitingRun({ reason: 'user', wait_key: 'k' });
      const event = waitingRun({ reason: 'event', wait_key: 'e' });
      const pausedTimer = waitingRun({ reason: 'until', until: isoFromMs(T0 - 1000) }, { vars: pausedVars });
      const done = makeRun({ status: 'completed', output: {} });
      await insert(rt, running, pausedRunning, user, event, pausedTimer, done);
      assert.deepEqual(await claimIds(rt, 'A', T0), [running.run_id]);
      assert.deepEqual(await claimIds(rt, 'B', T0 + 10 * LEASE_MS), [running.run_id], 'again once the lease expired');
    }));

    it('claims a timer wait only once it is due', withRuntime(async (rt) => {
      const timer = waitingRun({ reason: 'until', until: isoFromMs(T0 + 5000) });
      await insert(rt, timer);
      assert.equal(await rt.nextWakeAt(), T0 + 5000);
      assert.deepEqual(await claimIds(rt, 'A', T0 + 4999), []);
      assert.deepEqual(await claimIds(rt, 'A', T0 + 5000), [timer.run_id]);
    }));

    it('becomes runnable when a checkpoint makes it so, and stops when paused or finished', withRuntime(async (rt) => {
      const run = waitingRun({ reason: 'user', wait_key: 'ask' });
      await insert(rt, run);
      assert.deepEqual(await claimIds(rt, 'A', T0), []);
      await rt.tx((tx) => tx.updateRun({ ...run, status: 'running', waiting: null }, 1));
      assert.deepEqual(await claimIds(rt, 'A', T0), [run.run_id]);
      const [claim] = await rt.claimRunnable('A', LEASE_MS, 1, T0 + LEASE_MS);
      const fence = { owner: 'A', epoch: claim!.lease_epoch };
      await rt.tx((tx) => tx.updateRun({ ...run, status: 'running', waiting: null, vars: pausedVars }, 2, { fence, releaseLease: true }));
      assert.deepEqual(await claimIds(rt, 'B', T0 + 3 * LEASE_MS), []);
      await rt.tx((tx) => tx.updateRun({ ...run, status: 'completed', waiting: null }, 3));
      assert.deepEqual(await claimIds(rt, 'B', T0 + 3 * LEASE_MS), []);
      assert.equal(await rt.nextWakeAt(), null);
    }));

    it('a run handed back with requeueAtMs is claimed after the runs already runnable (fairness)', withRuntime(async (rt) => {
      const spinner = makeRun();
      await insert(rt, spinner);
      const [claim] = await rt.claimRunnable('A', LEASE_MS, 1, T0);
      const newcomer = makeRun();
      await insert(rt, newcomer);
      const fence = { owner: 'A', epoch: claim!.lease_epoch };
      await rt.tx((tx) => tx.updateRun(spinner, 1, { fence, releaseLease: true, requeueAtMs: T0 + 1 }));
      assert.deepEqual(await claimIds(rt, 'B', T0 + 1, 1), [newcomer.run_id], 'the newcomer first, though older by insertion order');
      assert.deepEqual(await claimIds(rt, 'B', T0 + 1, 1), [spinner.run_id], 'then the requeued run');
    }));

    it('leases exclusively until expiry, then hands over with a new epoch', withRuntime(async (rt) => {
      const run = makeRun();
      await insert(rt, run);
      const [a] = await rt.claimRunnable('A', LEASE_MS, 10, T0);
      assert.equal(a?.run_id, run.run_id);
      assert.deepEqual(await rt.claimRunnable('B', LEASE_MS, 10, T0 + LEASE_MS - 1), []);
      assert.equal(await rt.renewLease(run.run_id, { owner: 'A', epoch: a!.lease_epoch }, LEASE_MS, T0 + 1000), true);
      assert.deepEqual(await rt.claimRunnable('B', LEASE_MS, 10, T0 + LEASE_MS), []);
      const [b] = await rt.claimRunnable('B', LEASE_MS, 10, T0 + 1000 + LEASE_MS);
      assert.equal(b?.lease_epoch, a!.lease_epoch + 1);
      assert.equal((await rt.getRun(run.run_id))?.lease_owner, 'B');
      assert.equal(await rt.renewLease(run.run_id, { owner: 'A', epoch: a!.lease_epoch }, LEASE_MS, T0 + 2000 + LEASE_MS), false);
    }));

    it('releaseLease frees the run only for the current holder', withRuntime(async (rt) => {
      const run = makeRun();
      await insert(rt, run);
      const [a] = await rt.claimRunnable('A', LEASE_MS, 1, T0);
      await rt.releaseLease(run.run_id, { owner: 'X', epoch: a!.lease_epoch });
      assert.deepEqual(await claimIds(rt, 'B', T0), []);
      await rt.releaseLease(run.run_id, { owner: 'A', epoch: a!.lease_epoch });
      assert.equal((await rt.getRun(run.run_id))?.lease_owner, null);
      const [b] = await rt.claimRunnable('B', LEASE_MS, 1, T0);
      assert.equal(b?.lease_epoch, a!.lease_epoch + 1);
    }));

    it('respects the limit and hands out the longest-due runs first', withRuntime(async (rt) => {
      const late = waitingRun({ reason: 'until', until: isoFromMs(T0 - 1000) });
      const early = waitingRun({ reason: 'until', until: isoFromMs(T0 - 5000) });
      const running = makeRun();
      await insert(rt, late, early, running);
      const claims = await rt.claimRunnable('A', LEASE_MS, 2, T0);
      assert.deepEqual(claims.map((c) => c.run_id), [running.run_id, early.run_id]);
      assert.deepEqual(await claimIds(rt, 'A', T0), [late.run_id]);
    }));

    it('concurrent claimers never share a run', withStore(async (store) => {
      const rt = store.scope('rt-a');
      const list = Array.from({ length: 30 }, () => makeRun());
      await insert(rt, ...list);
      const results = await Promise.all(['A', 'B', 'C', 'D'].map((o) => rt.claimRunnable(o, LEASE_MS, 10, T0)));
      const all = results.flat().map((c) => c.run_id);
      assert.equal(all.length, 30);
      assert.equal(new Set(all).size, 30);
    }));

    it('nextWakeAt reports free runnable runs, due timers and lease expiries', withRuntime(async (rt) => {
      assert.equal(await rt.nextWakeAt(), null);
      const timer = waitingRun({ reason: 'until', until: isoFromMs(T0 + 60_000) });
      await insert(rt, timer);
      assert.equal(await rt.nextWakeAt(), T0 + 60_000);
      const running = makeRun();
      await insert(rt, running);
      const now = await rt.nextWakeAt();
      assert.ok(now !== null && now <= T0);
      await rt.claimRunnable('A', LEASE_MS, 1, T0);
      assert.equal(await rt.nextWakeAt(), T0 + LEASE_MS);
    }));
  });
}
