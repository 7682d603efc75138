// Bad input and failing nodes: a clear error, nothing half-written, the runner keeps serving.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exec, pure, data, wire, flowOf } from '../flow/flowkit.js';
import { isDone, makeHarness, shape, type Harness } from '../helpers/harness.js';
import { GatewayError } from '../../src/errors.js';

const start = (outputs: string[] = []) => exec('start', 'on_flow_start', { entry: true, outputs });

describe('failures', () => {
  let h: Harness;
  let wf: Record<string, string>;
  before(async () => {
    h = await makeHarness();
    // emit_event without a name: building the effect throws → the run fails (spec §4.11).
    const noName = flowOf([start(), exec('emit', 'emit_event', { inputs: ['name'], outputs: [] })], [wire('start', 'emit')], { id: 'no_name' });
    // Division by zero inside a pure node pulled by a plain exec node → graph-level error.
    const divZero = flowOf(
      [start(['x']), pure('div', 'divide', { inputs: ['a', 'b'], pinDefaults: { a: 1, b: 0 } }), exec('end', 'on_flow_end', { inputs: ['r'], execOuts: [] })],
      [wire('start', 'end'), data('div', 'result', 'end', 'r')],
      { id: 'div_zero' },
    );
    const ok = flowOf([start(), exec('say', 'answer_user', { inputs: ['message'], pinDefaults: { message: 'fine' } })], [wire('start', 'say')], { id: 'ok' });
    wf = await h.addFlows('bad', [noName, divZero, ok]);
  });
  after(() => h.close());

  it('an exception while building an effect fails the run with a tick-exception record', async () => {
    const id = await h.start(wf.no_name);
    const run = await h.waitFor(id, isDone);
    assert.equal(run.status, 'failed');
    assert.match(run.error!, /name/i);
    const records = await h.ledger(id);
    assert.deepEqual(shape(records), ['emit failed -', 'emit completed emit_event']);
    assert.equal(records[0].idempotency_key, `system:tick_exception:${id}`);
    assert.equal(records[0].error, run.error);
    assert.equal(records[1].idempotency_key, 'system:terminal_status:failed');
  });

  it('an exception in a pure node completes the run with success:false (graph-level error)', async () => {
    const id = await h.start(wf.div_zero);
    const run = await h.waitFor(id, isDone);
    assert.equal(run.status, 'completed');
    assert.equal(run.output!.success, false);
    assert.match(String(run.output!.error), /zero/i);
    assert.equal(run.output!.node, 'end');
  });

  it('keeps serving other runs while some fail', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => h.start(i % 2 ? wf.no_name : wf.ok)));
    const runs = await Promise.all(ids.map((id) => h.waitFor(id, isDone)));
    assert.deepEqual(
      runs.map((r) => r.status),
      ids.map((_, i) => (i % 2 ? 'failed' : 'completed')),
    );
  });

  it('refuses to start unknown workflows or non-object inputs, writing nothing', async () => {
    const before = (await h.store.scope('default').listRuns({ limit: 1000 })).length;
    await assert.rejects(h.runtime.startRun({ workflow_id: 'nope@1:x' }), (e) => e instanceof GatewayError && e.code === 'GW_ERR_NOT_FOUND');
    await assert.rejects(h.runtime.startRun({ workflow_id: wf.ok, input_data: [] as never }), /input_data must be an object/);
    assert.equal((await h.store.scope('default').listRuns({ limit: 1000 })).length, before);
  });
});
