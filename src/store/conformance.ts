// The backend-independent Store conformance suite. It uses only the contract in ./types.ts,
// so every backend (SQLite now, PostgreSQL later) proves itself with the same cases:
//   storeConformanceSuite('sqlite', async () => openSqliteStore({ dataDir: tmp() }));

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';

import type { RunState, StepRecord, WaitState } from '../model/run.js';
import { isoFromMs } from '../model/time.js';
import { LeaseLost, VersionConflict, type NewCommand, type RuntimeStore, type Store } from './types.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const LEASE_MS = 30_000;

let ids = 0;
const uid = (prefix: string) => `${prefix}-${++ids}`;

export function makeRun(over: Partial<RunState> = {}): RunState {
  const at = isoFromMs(T0);
  return {
    run_id: uid('run'),
    workflow_id: 'wf@1',
    status: 'running',
    current_node: 'start',
    vars: {},
    waiting: null,
    output: null,
    error: null,
    created_at: at,
    updated_at: at,
    actor_id: 'gateway',
    session_id: null,
    parent_run_id: null,
    ...over,
  };
}

function wait(over: Partial<WaitState>): WaitState {
  return {
    reason: 'user',
    wait_key: null,
    until: null,
    resume_to_node: 'next',
    result_key: null,
    prompt: null,
    choices: null,
    allow_free_text: true,
    details: null,
    ...over,
  };
}

const waitingRun = (w: Partial<WaitState>, over: Partial<RunState> = {}) => makeRun({ status: 'waiting', waiting: wait(w), ...over });
const pausedVars = { _runtime: { control: { paused: true } } };

export function makeRecord(runId: string, over: Partial<StepRecord> = {}): StepRecord {
  return {
    run_id: runId,
    step_id: uid('step'),
    node_id: 'n1',
    status: 'completed',
    effect: null,
    result: null,
    error: null,
    started_at: isoFromMs(T0),
    ended_at: isoFromMs(T0),
    actor_id: null,
    session_id: null,
    attempt: 1,
    idempotency_key: null,
    prev_hash: null,
    record_hash: null,
    signature: null,
    ...over,
  };
}

function command(runId: string, over: Partial<NewCommand> = {}): NewCommand {
  return { command_id: uid('cmd'), run_id: runId, type: 'pause', payload: {}, ts: isoFromMs(T0), client_id: null, ...over };
}

async function insert(rt: RuntimeStore, ...list: RunState[]): Promise<void> {
  await rt.tx(async (tx) => {
    for (const r of list) await tx.insertRun(r);
  });
}

async function append(rt: RuntimeStore, runId: string, records: StepRecord[]): Promise<number> {
  return rt.tx((tx) => tx.appendLedger(runId, records));
}

const claimIds = async (rt: RuntimeStore, owner: string, now: number, limit = 100) =>
  (await rt.claimRunnable(owner, LEASE_MS, limit, now)).map((c) => c.run_id).sort();

export function storeConformanceSuite(name: string, open: () => Promise<Store>): void {
  /** Each case gets a fresh store, closed afterwards. */
  const withStore = (fn: (store: Store) => Promise<void>) => async () => {
    const store = await open();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };
  const withRuntime = (fn: (rt: RuntimeStore, store: Store) => Promise<void>) => withStore((store) => fn(store.scope('rt-a'), store));

  describe(`Store conformance: ${name}`, () => {
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

    describe('runs', () => {
      it('inserts and reads back a run at version 1', withRuntime(async (rt) => {
        const run = makeRun({ vars: { prompt: 'héllo', nested: { list: [1, 2] } }, session_id: 's1' });
        await insert(rt, run);
        assert.deepEqual(await rt.getRun(run.run_id), { run, version: 1, ledger_len: 0, lease_owner: null, lease_epoch: 0 });
        assert.equal(await rt.getRun('missing'), null);
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

    describe('commands', () => {
      it('accepts, deduplicates and detects conflicting reuse of a command id', withRuntime(async (rt) => {
        const cmd = command('r1', { type: 'emit_event', payload: { name: 'go', payload: { a: 1, b: [1, 2] } }, client_id: 'c1' });
        const first = await rt.submitCommand(cmd);
        assert.equal(first.accepted, true);
        assert.ok(first.seq >= 1);
        const reordered = { ...cmd, payload: { payload: { b: [1, 2], a: 1 }, name: 'go' }, ts: isoFromMs(T0 + 5) };
        assert.deepEqual(await rt.submitCommand(reordered), { accepted: false, duplicate: true, seq: first.seq });
        assert.deepEqual(await rt.submitCommand({ ...cmd, payload: { name: 'other' } }), { accepted: false, duplicate: false, conflict: true, seq: first.seq });
        assert.deepEqual(await rt.submitCommand({ ...cmd, run_id: 'r2' }), { accepted: false, duplicate: false, conflict: true, seq: first.seq });
        assert.deepEqual(await rt.submitCommand({ ...cmd, type: 'cancel' }), { accepted: false, duplicate: false, conflict: true, seq: first.seq });
        assert.deepEqual(await rt.getCommand(cmd.command_id), {
          command_id: cmd.command_id,
          run_id: 'r1',
          type: 'emit_event',
          payload: cmd.payload,
          ts: cmd.ts,
          client_id: 'c1',
          seq: first.seq,
          state: 'pending',
          reason: null,
          applied_at: null,
        });
        assert.equal(await rt.getCommand('missing'), null);
      }));

      it('lists pending commands in seq order and settles each exactly once', withRuntime(async (rt) => {
        const cmds = Array.from({ length: 5 }, (_, i) => command(`r${i}`));
        const seqs: number[] = [];
        for (const c of cmds) seqs.push((await rt.submitCommand(c)).seq);
        for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!);
        assert.deepEqual((await rt.pendingCommands(3)).map((c) => c.seq), seqs.slice(0, 3));

        const at = isoFromMs(T0 + 1);
        await rt.tx((tx) => tx.settleCommand(seqs[0]!, 'applied', null, at));
        await rt.tx((tx) => tx.settleCommand(seqs[2]!, 'rejected', 'Run is not waiting', at));
        await assert.rejects(rt.tx((tx) => tx.settleCommand(seqs[0]!, 'rejected', 'again', at)));
        await assert.rejects(rt.tx((tx) => tx.settleCommand(999_999, 'applied', null, at)));
        assert.deepEqual((await rt.pendingCommands(10)).map((c) => c.seq), [seqs[1], seqs[3], seqs[4]]);
        const applied = await rt.getCommand(cmds[0]!.command_id);
        assert.deepEqual([applied?.state, applied?.reason, applied?.applied_at], ['applied', null, at]);
        const rejected = await rt.getCommand(cmds[2]!.command_id);
        assert.deepEqual([rejected?.state, rejected?.reason], ['rejected', 'Run is not waiting']);
      }));

      it('concurrent duplicate submits accept exactly one', withRuntime(async (rt) => {
        const cmd = command('r1');
        const results = await Promise.all(Array.from({ length: 10 }, () => rt.submitCommand(cmd)));
        assert.equal(results.filter((r) => r.accepted).length, 1);
        assert.equal(new Set(results.map((r) => r.seq)).size, 1);
      }));
    });

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

    describe('artifacts', () => {
      it('stores content-addressed blobs with metadata', withRuntime(async (rt) => {
        const bytes = Buffer.from('hello artifact');
        const meta = await rt.artifacts.put(bytes, { content_type: 'text/plain', run_id: 'r1', tags: { kind: 'note' }, metadata: { n: 1 } });
        const sha = createHash('sha256').update(bytes).digest('hex');
        const expectedId = createHash('sha256').update('r1\0').update(bytes).digest('hex').slice(0, 32);
        assert.equal(meta.artifact_id, expectedId);
        assert.equal(meta.blob_id, sha);
        assert.deepEqual(
          { ...meta, created_at: undefined },
          { artifact_id: expectedId, blob_id: sha, content_type: 'text/plain', size_bytes: bytes.length, created_at: undefined, run_id: 'r1', tags: { kind: 'note' }, metadata: { n: 1 } },
        );
        const got = await rt.artifacts.get(meta.artifact_id);
        assert.deepEqual(got?.metadata, meta);
        assert.ok(got?.content.equals(bytes));
        assert.deepEqual(await rt.artifacts.getMetadata(meta.artifact_id), meta);
        assert.equal(await rt.artifacts.get('missing'), null);
      }));

      it('dedupes identical content, separates runs, and is idempotent', withRuntime(async (rt) => {
        const bytes = Buffer.from('same bytes');
        const a = await rt.artifacts.put(bytes, { run_id: 'r1' });
        const again = await rt.artifacts.put(bytes, { run_id: 'r1' });
        const b = await rt.artifacts.put(bytes, { run_id: 'r2' });
        const noRun = await rt.artifacts.put(bytes, {});
        assert.deepEqual(again, a);
        assert.notEqual(a.artifact_id, b.artifact_id);
        assert.equal(noRun.artifact_id, createHash('sha256').update(bytes).digest('hex').slice(0, 32));
        assert.equal(noRun.run_id, null);
        assert.equal(noRun.content_type, 'application/octet-stream');
        assert.equal(a.blob_id, b.blob_id);
        assert.ok((await rt.artifacts.get(b.artifact_id))?.content.equals(bytes));
      }));

      it('accepts explicit ids, rejects invalid ones, lists by run', withRuntime(async (rt) => {
        const x = await rt.artifacts.put(Buffer.from('x'), { run_id: 'r1', artifact_id: 'my_id-1' });
        assert.equal(x.artifact_id, 'my_id-1');
        await assert.rejects(rt.artifacts.put(Buffer.from('y'), { artifact_id: '../etc/passwd' }));
        await assert.rejects(rt.artifacts.put(Buffer.from('y'), { artifact_id: '' }));
        const y = await rt.artifacts.put(Buffer.from('y'), { run_id: 'r1' });
        await rt.artifacts.put(Buffer.from('z'), { run_id: 'r2' });
        assert.deepEqual((await rt.artifacts.listByRun('r1')).map((m) => m.artifact_id), [x.artifact_id, y.artifact_id]);
        assert.deepEqual(await rt.artifacts.listByRun('nope'), []);
      }));
    });
  });
}
