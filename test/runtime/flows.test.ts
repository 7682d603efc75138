// Hand-written flows through the whole runtime: loops, branches, variables, waits answered
// by commands and events, timers, subflow recursion.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exec, pure, data, wire, flowOf } from '../flow/flowkit.js';
import { isDone, isWaiting, makeHarness, shape, type Harness } from '../helpers/harness.js';

const start = (outputs: string[] = []) => exec('start', 'on_flow_start', { entry: true, outputs });
const end = (id: string, inputs: string[]) => exec(id, 'on_flow_end', { inputs, execOuts: [] });
const getVar = (id: string, name: string) => pure(id, 'get_var', { inputs: ['name'], outputs: ['value'], pinDefaults: { name } });

describe('hand-written flows', () => {
  let h: Harness;
  let wf: Record<string, string>;
  before(async () => {
    h = await makeHarness();
    const counter = flowOf(
      [
        start(['n']),
        exec('init', 'set_var', { inputs: ['name', 'value:number'], pinDefaults: { name: 'i', value: 0 } }),
        exec('loop', 'while', { inputs: ['condition'], execOuts: ['loop', 'done'], outputs: ['item', 'index'] }),
        getVar('gi', 'i'),
        getVar('gn', 'n'),
        pure('lt', 'compare', { inputs: ['a', 'op', 'b'], pinDefaults: { op: '<' } }),
        pure('plus', 'add', { inputs: ['a', 'b'], pinDefaults: { b: 1 } }),
        exec('inc', 'set_var', { inputs: ['name', 'value:number'], pinDefaults: { name: 'i' } }),
        exec('say', 'answer_user', { inputs: ['message', 'level'] }),
        end('end', ['result']),
      ],
      [
        wire('start', 'init'),
        wire('init', 'loop'),
        wire('loop', 'inc', 'loop'),
        wire('inc', 'say'),
        wire('loop', 'end', 'done'),
        data('gi', 'value', 'lt', 'a'),
        data('gn', 'value', 'lt', 'b'),
        data('lt', 'result', 'loop', 'condition'),
        data('gi', 'value', 'plus', 'a'),
        data('plus', 'result', 'inc', 'value'),
        data('gi', 'value', 'say', 'message'),
        data('gi', 'value', 'end', 'result'),
      ],
      { id: 'counter' },
    );
    const branch = flowOf(
      [
        start(['x']),
        pure('big', 'compare', { inputs: ['a', 'op', 'b'], pinDefaults: { op: '>', b: 10 } }),
        exec('if', 'if', { inputs: ['condition'], execOuts: ['true', 'false'] }),
        exec('yes', 'answer_user', { inputs: ['message'], pinDefaults: { message: 'big' } }),
        exec('no', 'answer_user', { inputs: ['message'], pinDefaults: { message: 'small' } }),
        end('end', ['x']),
      ],
      [
        wire('start', 'if'),
        data('start', 'x', 'big', 'a'),
        data('big', 'result', 'if', 'condition'),
        wire('if', 'yes', 'true'),
        wire('if', 'no', 'false'),
        wire('yes', 'end'),
        wire('no', 'end'),
        data('start', 'x', 'end', 'x'),
      ],
      { id: 'branch' },
    );
    const ask = flowOf(
      [start(), exec('ask', 'ask_user', { inputs: ['prompt', 'choices'], outputs: ['response'], pinDefaults: { prompt: 'Your name?' } }), end('end', ['response'])],
      [wire('start', 'ask'), wire('ask', 'end'), data('ask', 'response', 'end', 'response')],
      { id: 'ask' },
    );
    const waitGo = flowOf(
      [start(), exec('wait', 'wait_event', { inputs: ['event_key'], outputs: ['event_data'], pinDefaults: { event_key: 'evt:session:S1:go' } }), end('end', ['event_data'])],
      [wire('start', 'wait'), wire('wait', 'end'), data('wait', 'event_data', 'end', 'event_data')],
      { id: 'wait_go' },
    );
    const waitGo2 = flowOf(waitGo.nodes.map((n) => (n.id === 'wait' ? { ...n, data: { ...n.data, pinDefaults: { event_key: 'evt:session:S2:go' } } } : n)), waitGo.edges, { id: 'wait_go2' });
    const emitGo = flowOf(
      [start(), exec('emit', 'emit_event', { inputs: ['name', 'scope', 'payload'], outputs: ['delivered'], pinDefaults: { name: 'go', scope: 'session', payload: 'hi' } }), end('end', ['delivered'])],
      [wire('start', 'emit'), wire('emit', 'end'), data('emit', 'delivered', 'end', 'delivered')],
      { id: 'emit_go' },
    );
    const timer = flowOf(
      [start(), exec('sleep', 'wait_until', { inputs: ['duration'], pinDefaults: { duration: 0.3 }, effectConfig: { durationType: 'seconds' } }), end('end', [])],
      [wire('start', 'sleep'), wire('sleep', 'end')],
      { id: 'timer' },
    );
    const countdown = flowOf(
      [
        start(['n']),
        pure('pos', 'compare', { inputs: ['a', 'op', 'b'], pinDefaults: { op: '>', b: 0 } }),
        exec('if', 'if', { inputs: ['condition'], execOuts: ['true', 'false'] }),
        pure('minus', 'subtract', { inputs: ['a', 'b'], pinDefaults: { b: 1 } }),
        exec('sub', 'subflow', { inputs: ['n'], outputs: ['output'], subflowId: 'countdown' }),
        end('deeper', ['out']),
        end('bottom', ['out']),
      ],
      [
        wire('start', 'if'),
        data('start', 'n', 'pos', 'a'),
        data('pos', 'result', 'if', 'condition'),
        wire('if', 'sub', 'true'),
        wire('if', 'bottom', 'false'),
        data('start', 'n', 'minus', 'a'),
        data('minus', 'result', 'sub', 'n'),
        wire('sub', 'deeper'),
        data('sub', 'output', 'deeper', 'out'),
        data('start', 'n', 'bottom', 'out'),
      ],
      { id: 'countdown' },
    );
    wf = await h.addFlows('demo', [counter, branch, ask, waitGo, waitGo2, emitGo, timer, countdown]);
  });
  after(() => h.close());

  it('loops with variables until the condition fails', async () => {
    const id = await h.start(wf.counter, { n: 3 });
    const run = await h.waitFor(id, isDone);
    assert.deepEqual(run.output, { result: 3, success: true });
    assert.equal(run.vars.i, 3);
    const records = await h.ledger(id);
    const messages = records.filter((r) => r.status === 'completed' && r.effect?.type === 'answer_user').map((r) => r.result.message);
    assert.deepEqual(messages, ['1', '2', '3']);
    assert.deepEqual(shape(records).slice(-2), ['end completed -', 'end completed emit_event']);
  });

  it('branches on a condition; both branches join into one end node', async () => {
    const big = await h.start(wf.branch, { x: 20 });
    const small = await h.start(wf.branch, { x: 5 });
    for (const [id, msg, x] of [[big, 'big', 20], [small, 'small', 5]] as const) {
      const run = await h.waitFor(id, isDone);
      assert.deepEqual(run.output, { x, success: true });
      const said = (await h.ledger(id)).find((r) => r.status === 'completed' && r.effect?.type === 'answer_user');
      assert.equal(said?.result.message, msg);
    }
  });

  it('ask_user waits durably and is answered by a resume command', async () => {
    const id = await h.start(wf.ask);
    const waiting = await h.waitFor(id, isWaiting);
    assert.equal(waiting.waiting!.reason, 'user');
    assert.equal(waiting.waiting!.wait_key, `user:${id}:ask`);
    assert.equal(waiting.waiting!.prompt, 'Your name?');
    const sub = await h.runtime.submitCommand({ command_id: 'c-ask', run_id: id, type: 'resume', payload: { wait_key: `user:${id}:ask`, payload: { response: 'Ada' } } });
    assert.equal(sub.accepted, true);
    const run = await h.waitFor(id, isDone);
    assert.deepEqual(run.output, { response: 'Ada', success: true });
    assert.deepEqual(shape(await h.ledger(id)), ['ask started ask_user', 'ask waiting ask_user', 'ask completed resume', 'end completed -', 'end completed emit_event']);
    const cmd = await h.runtime.getCommand('c-ask');
    assert.equal(cmd!.state, 'applied');
  });

  it('wait_event is answered by an emit_event command on the session scope', async () => {
    const id = await h.start(wf.wait_go, {}, 'S1');
    await h.waitFor(id, isWaiting);
    await h.runtime.submitCommand({ command_id: 'c-go', run_id: 'S1', type: 'emit_event', payload: { name: 'go', payload: { x: 1 } }, client_id: 'tester' });
    const run = await h.waitFor(id, isDone);
    const envelope = run.output!.event_data;
    assert.equal(envelope.name, 'go');
    assert.equal(envelope.scope, 'session');
    assert.deepEqual(envelope.payload, { x: 1 });
    assert.deepEqual(envelope.emitter, { source: 'external', client_id: 'tester' });
  });

  it('an emit_event node wakes a run waiting in the same session', async () => {
    const waiter = await h.start(wf.wait_go2, {}, 'S2');
    await h.waitFor(waiter, isWaiting);
    const emitter = await h.start(wf.emit_go, {}, 'S2');
    const e = await h.waitFor(emitter, isDone);
    assert.deepEqual(e.output, { delivered: 1, success: true });
    const w = await h.waitFor(waiter, isDone);
    assert.deepEqual(w.output!.event_data.payload, { value: 'hi' });
    assert.equal(w.output!.event_data.emitter.run_id, emitter);
  });

  it('wait_until sleeps on a durable timer and wakes on time', async () => {
    const t0 = Date.now();
    const id = await h.start(wf.timer);
    const waiting = await h.waitFor(id, isWaiting);
    assert.equal(waiting.waiting!.reason, 'until');
    assert.match(waiting.waiting!.until!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    const run = await h.waitFor(id, isDone);
    assert.equal(run.status, 'completed');
    assert.ok(Date.now() - t0 >= 290, 'woke before the timer was due');
    assert.ok(!shape(await h.ledger(id)).some((s) => s.includes('resume')), 'timer wake-ups write no resume record');
  });

  it('a subflow can call its own flow recursively; each level is a child run', async () => {
    const id = await h.start(wf.countdown, { n: 2 });
    const run = await h.waitFor(id, isDone);
    assert.equal(run.status, 'completed');
    assert.deepEqual(run.output, { out: { out: { out: 0, success: true }, success: true }, success: true });
    const children = await h.store.scope('default').listRuns({ parent_run_id: id });
    assert.equal(children.length, 1);
    const grandchildren = await h.store.scope('default').listRuns({ parent_run_id: children[0].run.run_id });
    assert.equal(grandchildren.length, 1);
    assert.deepEqual(grandchildren[0].run.vars.n, 0);
    const records = await h.ledger(id);
    assert.equal(records[0].effect!.payload.workflow_id, wf.countdown);
  });
});
