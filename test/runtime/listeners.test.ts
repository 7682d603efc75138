// on_event listeners: one child run per on_event node, parked on its wait from the start,
// handling every matching event and re-arming, stopped when the root ends.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exec, data, wire, flowOf } from '../flow/flowkit.js';
import { isDone, isWaiting, makeHarness, shape, type Harness } from '../helpers/harness.js';

describe('on_event listeners', () => {
  let h: Harness;
  let wf: Record<string, string>;
  before(async () => {
    h = await makeHarness();
    const main = flowOf(
      [
        exec('start', 'on_flow_start', { entry: true, outputs: [] }),
        exec('emit', 'emit_event', { inputs: ['name', 'payload'], outputs: ['delivered'], pinDefaults: { name: 'ping', payload: 'hello' } }),
        exec('ask', 'ask_user', { inputs: ['prompt'], outputs: ['response'], pinDefaults: { prompt: 'done?' } }),
        exec('end', 'on_flow_end', { inputs: ['delivered'], execOuts: [] }),
        exec('on_ping', 'on_event', { entry: true, inputs: ['scope'], outputs: ['event', 'payload'], eventConfig: { name: 'ping' } }),
        exec('pong', 'answer_user', { inputs: ['message'] }),
      ],
      [
        wire('start', 'emit'),
        wire('emit', 'ask'),
        wire('ask', 'end'),
        data('emit', 'delivered', 'end', 'delivered'),
        wire('on_ping', 'pong'),
        data('on_ping', 'payload', 'pong', 'message'),
      ],
      { id: 'main' },
    );
    wf = await h.addFlows('listen', [main]);
  });
  after(() => h.close());

  it('delivers the root’s own first event to its listener, which re-arms for the next; ending the root stops it', async () => {
    const id = await h.start(wf.main);
    const root = await h.waitFor(id, isWaiting);
    const [listener] = await h.store.scope('default').listRuns({ parent_run_id: id });
    assert.equal(listener.run.workflow_id, 'visual_event_listener_listen_0_0_0_main_on_ping');
    assert.equal(listener.run.session_id, root.session_id);
    const handled = (text: string) => (r: { status: string; vars: any }) => r.status === 'waiting' && (r.vars._temp?.effects?.pong?.message ?? '').includes(text);
    const parked = await h.waitFor(listener.run.run_id, handled('hello'));
    assert.equal(parked.waiting!.wait_key, `evt:session:${root.session_id}:ping`);
    // Re-armed: a later event from a client reaches it too.
    await h.runtime.submitCommand({ run_id: root.session_id!, type: 'emit_event', payload: { name: 'ping', payload: 'again' } });
    await h.waitFor(listener.run.run_id, handled('again'));
    const said = (await h.ledger(listener.run.run_id)).filter((r) => r.effect?.type === 'answer_user' && r.status === 'completed').map((r) => r.result.message);
    assert.deepEqual(said, ["{'value': 'hello'}", "{'value': 'again'}"]);

    await h.runtime.submitCommand({ run_id: id, type: 'resume', payload: { payload: { response: 'yes' } } });
    const done = await h.waitFor(id, isDone);
    assert.deepEqual(done.output, { delivered: 1, success: true });
    const stopped = await h.waitFor(listener.run.run_id, isDone);
    assert.equal(stopped.status, 'cancelled');
    assert.equal(stopped.error, 'Parent run ended');
    assert.equal(shape(await h.ledger(listener.run.run_id)).at(-1), 'on_ping completed emit_event');
  });

  it('an event that ends the root (cancelling its listener) is delivered cleanly, not rejected', async () => {
    const last = flowOf(
      [
        exec('start', 'on_flow_start', { entry: true, outputs: [] }),
        exec('wait', 'wait_event', { inputs: ['event_key'], outputs: ['event_data'], pinDefaults: { event_key: 'evt:session:S9:ping' } }),
        exec('on_ping', 'on_event', { entry: true, inputs: ['scope'], outputs: ['event', 'payload'], eventConfig: { name: 'ping' } }),
        exec('pong', 'answer_user', { inputs: ['message'] }),
      ],
      [wire('start', 'wait'), wire('on_ping', 'pong'), data('on_ping', 'payload', 'pong', 'message')],
      { id: 'last' },
    );
    const ids = await h.addFlows('listen2', [last]);
    const id = await h.start(ids.last, {}, 'S9');
    await h.waitFor(id, isWaiting);
    const [listener] = await h.store.scope('default').listRuns({ parent_run_id: id });
    await h.runtime.submitCommand({ command_id: 'end-by-event', run_id: 'S9', type: 'emit_event', payload: { name: 'ping' } });
    assert.equal((await h.waitFor(id, isDone)).status, 'completed');
    assert.equal((await h.waitFor(listener.run.run_id, isDone)).status, 'cancelled');
    for (let i = 0; i < 400 && (await h.runtime.getCommand('end-by-event'))!.state === 'pending'; i++) await new Promise((r) => setTimeout(r, 5));
    const cmd = (await h.runtime.getCommand('end-by-event'))!;
    assert.deepEqual([cmd.state, cmd.reason], ['applied', null]);
  });
});
