// The command inbox: pause/resume/cancel of run trees, and readable outcomes for every
// command (applied, or rejected with a reason that changed nothing).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exec, data, wire, flowOf } from '../flow/flowkit.js';
import { isDone, isWaiting, makeHarness, shape, type Harness } from '../helpers/harness.js';
import { GatewayError } from '../../src/errors.js';
import type { CommandRecord } from '../../src/model/command.js';

const start = () => exec('start', 'on_flow_start', { entry: true, outputs: [] });

describe('command inbox', () => {
  let h: Harness;
  let wf: Record<string, string>;
  let seq = 0;
  const send = async (run_id: string, type: string, payload: Record<string, unknown> = {}) => {
    const command_id = `cmd-${++seq}`;
    await h.runtime.submitCommand({ command_id, run_id, type, payload });
    return settled(command_id);
  };
  const settled = async (commandId: string): Promise<CommandRecord> => {
    for (let i = 0; i < 2000; i++) {
      const c = await h.runtime.getCommand(commandId);
      if (c && c.state !== 'pending') return c;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`command ${commandId} never settled`);
  };

  before(async () => {
    h = await makeHarness({ maxStepsPerTick: 1 });
    const child = flowOf(
      [start(), exec('wait', 'wait_event', { inputs: ['event_key'], outputs: ['event_data'], pinDefaults: { event_key: 'k' } }), exec('end', 'on_flow_end', { inputs: ['v'], execOuts: [] })],
      [wire('start', 'wait'), wire('wait', 'end'), data('wait', 'event_data', 'end', 'v')],
      { id: 'child' },
    );
    const parent = flowOf(
      [start(), exec('sub', 'subflow', { inputs: [], outputs: ['output'], subflowId: 'child' }), exec('end', 'on_flow_end', { inputs: ['out'], execOuts: [] })],
      [wire('start', 'sub'), wire('sub', 'end'), data('sub', 'output', 'end', 'out')],
      { id: 'parent' },
    );
    const nap = flowOf(
      [start(), exec('sleep', 'wait_until', { inputs: ['duration'], pinDefaults: { duration: 0.15 } }), exec('end', 'on_flow_end', { inputs: [], execOuts: [] })],
      [wire('start', 'sleep'), wire('sleep', 'end')],
      { id: 'nap' },
    );
    const busy = flowOf(
      [
        start(),
        exec('for', 'for', { inputs: ['start', 'end', 'step'], execOuts: ['loop', 'done'], outputs: ['i', 'index'], pinDefaults: { start: 0, end: 150, step: 1 } }),
        exec('set', 'set_var', { inputs: ['name', 'value'], pinDefaults: { name: 'last' } }),
        exec('end', 'on_flow_end', { inputs: [], execOuts: [] }),
      ],
      [wire('start', 'for'), wire('for', 'set', 'loop'), wire('for', 'end', 'done'), data('for', 'i', 'set', 'value')],
      { id: 'busy' },
    );
    wf = await h.addFlows('ctl', [parent, child, nap, busy]);
  });
  after(() => h.close());

  async function waitingTree() {
    const root = await h.start(wf.parent);
    const r = await h.waitFor(root, isWaiting);
    const childId = r.waiting!.details!.sub_run_id as string;
    await h.waitFor(childId, isWaiting);
    return { root, childId };
  }

  it('pause and un-pause apply to the whole tree; a paused run cannot be resumed with a payload', async () => {
    const { root, childId } = await waitingTree();
    assert.equal((await send(root, 'pause', { reason: 'lunch' })).state, 'applied');
    for (const id of [root, childId]) {
      const r = (await h.runtime.getRun(id))!;
      assert.equal(r.vars._runtime.control.paused, true);
      assert.equal(r.vars._runtime.control.pause_reason, 'lunch');
    }
    const blocked = await send(childId, 'resume', { wait_key: 'k', payload: { v: 1 } });
    assert.equal(blocked.state, 'rejected');
    assert.equal(blocked.reason, 'Run is paused');
    assert.equal((await h.runtime.getRun(childId))!.status, 'waiting');

    assert.equal((await send(root, 'resume')).state, 'applied');
    assert.equal((await send(childId, 'resume', { wait_key: 'k', payload: { v: 1 } })).state, 'applied');
    const done = await h.waitFor(root, isDone);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.output!.out, { v: { v: 1 }, success: true });
  });

  it('cancel cancels every run of the tree, each with a terminal status record', async () => {
    const { root, childId } = await waitingTree();
    assert.equal((await send(root, 'cancel', { reason: 'enough' })).state, 'applied');
    for (const id of [root, childId]) {
      const r = (await h.runtime.getRun(id))!;
      assert.equal(r.status, 'cancelled');
      assert.equal(r.error, 'enough');
      assert.equal(r.waiting, null);
      const last = (await h.ledger(id)).at(-1)!;
      assert.equal(last.idempotency_key, 'system:terminal_status:cancelled');
    }
  });

  it('cancelling only the child resumes its parent with a cancelled result', async () => {
    const { root, childId } = await waitingTree();
    await send(childId, 'cancel');
    const r = await h.waitFor(root, isDone);
    assert.equal(r.status, 'completed');
    // Reference semantics: a non-object child output is wrapped as {result}, and the subflow's
    // `output` pin reads that `result` (null); the cancellation details travel alongside.
    assert.deepEqual(r.vars._temp.effects.sub.output, { result: null, success: false, cancelled: true, error: 'Cancelled' });
    assert.equal(r.output!.out, null);
  });

  it('a paused timer does not fire; it fires after un-pause', async () => {
    const id = await h.start(wf.nap);
    await h.waitFor(id, isWaiting);
    await send(id, 'pause');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await h.runtime.getRun(id))!.status, 'waiting');
    await send(id, 'resume');
    assert.equal((await h.waitFor(id, isDone)).status, 'completed');
  });

  it('pausing a running run parks it in a pause wait at its current node', async () => {
    const id = await h.start(wf.busy);
    const c = await send(id, 'pause');
    assert.equal(c.state, 'applied');
    const r = (await h.runtime.getRun(id))!;
    assert.equal(r.status, 'waiting');
    assert.equal(r.waiting!.wait_key, `pause:${id}`);
    assert.deepEqual(r.waiting!.details, { kind: 'pause' });
    await new Promise((res) => setTimeout(res, 50));
    assert.equal((await h.runtime.getRun(id))!.vars.last, r.vars.last, 'a paused run must not advance');
    await send(id, 'resume');
    const done = await h.waitFor(id, isDone);
    assert.equal(done.status, 'completed');
    assert.equal(done.vars.last, 149);
  });

  it('rejects what cannot apply, with a reason, and changes nothing', async () => {
    const { root, childId } = await waitingTree();
    const before = await h.ledger(childId);
    const cases: [string, string, Record<string, unknown>, RegExp][] = [
      ['nope', 'pause', {}, /Run 'nope' not found/],
      [childId, 'resume', { wait_key: 'other', payload: {} }, /wait_key mismatch/],
      [childId, 'resume', { payload: 'text' }, /payload.payload must be an object/],
      [root, 'resume', { wait_key: 'x', payload: {} }, /wait_key mismatch/],
      [childId, 'emit_event', { scope: 'session' }, /requires payload.name/],
      [childId, 'emit_event', { name: 'x', scope: 'galaxy' }, /Unknown event scope/],
      [childId, 'update_schedule', { interval: '5s' }, /not supported yet/],
      [childId, 'compact_memory', {}, /not supported yet/],
    ];
    for (const [runId, type, payload, reason] of cases) {
      const c = await send(runId, type, payload);
      assert.equal(c.state, 'rejected', `${type} ${JSON.stringify(payload)}`);
      assert.match(c.reason!, reason);
    }
    assert.deepEqual(await h.ledger(childId), before);
    assert.equal((await h.runtime.getRun(childId))!.status, 'waiting');

    await send(root, 'cancel');
    const late = await send(root, 'cancel');
    assert.equal(late.state, 'rejected');
    assert.match(late.reason!, /terminal \(cancelled\)/);
    const notWaiting = await send(root, 'resume', { payload: {} });
    assert.match(notWaiting.reason!, /terminal/);
  });

  it('command ids are idempotent: a duplicate returns the original seq and applies once; a different payload conflicts', async () => {
    const { childId } = await waitingTree();
    const cmd = { command_id: 'once', run_id: childId, type: 'resume', payload: { wait_key: 'k', payload: { v: 2 } } };
    const first = await h.runtime.submitCommand(cmd);
    const again = await h.runtime.submitCommand(cmd);
    assert.deepEqual(first, { accepted: true, duplicate: false, seq: first.seq });
    assert.deepEqual(again, { accepted: false, duplicate: true, seq: first.seq });
    const conflict = await h.runtime.submitCommand({ ...cmd, payload: { wait_key: 'k', payload: { v: 3 } } });
    assert.equal(conflict.accepted, false);
    assert.equal('conflict' in conflict && conflict.conflict, true);
    assert.equal((await settled('once')).state, 'applied');
    await h.waitFor(childId, isDone);
    const resumes = shape(await h.ledger(childId)).filter((s) => s.endsWith('resume'));
    assert.equal(resumes.length, 1);
  });

  it('rejects malformed submissions before they reach the inbox', async () => {
    await assert.rejects(h.runtime.submitCommand({ run_id: 'r', type: 'Pause' }), (e) => e instanceof GatewayError && e.code === 'GW_ERR_INVALID');
    await assert.rejects(h.runtime.submitCommand({ run_id: '  ', type: 'pause' }), /run_id must be non-empty/);
    await assert.rejects(h.runtime.submitCommand({ run_id: 'r', type: 'pause', payload: [] as never }), /payload must be an object/);
  });
});
