// One injected clock: timers are computed, found due and woken by the runtime's clock alone, so
// a test clock that jumps an hour ahead wakes an hour-long timer at once (the runner's claims
// and the tick's "is it due" agree), nothing wakes before the clock says so, and every timestamp
// written (run rows, ledger records) is on that clock.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exec, wire, flowOf } from '../flow/flowkit.js';
import { isDone, isWaiting, makeHarness, type Harness } from '../helpers/harness.js';
import { isoFromMs } from '../../src/model/time.js';

const HOUR_MS = 3_600_000;

describe('injected clock', () => {
  let h: Harness;
  let now = Date.UTC(2031, 4, 6, 7, 8, 9);
  let wf: string;
  before(async () => {
    h = await makeHarness({ clock: { nowMs: () => now }, runner: { pollMs: 20 } });
    const nap = flowOf(
      [
        exec('start', 'on_flow_start', { entry: true, outputs: [] }),
        exec('sleep', 'wait_until', { inputs: ['duration'], pinDefaults: { duration: 3600 }, effectConfig: { durationType: 'seconds' } }),
        exec('end', 'on_flow_end', { inputs: [], execOuts: [] }),
      ],
      [wire('start', 'sleep'), wire('sleep', 'end')],
      { id: 'nap' },
    );
    wf = (await h.addFlows('clock', [nap])).nap;
  });
  after(() => h.close());

  it('a timer is due when the injected clock says so, not the wall clock', async () => {
    const id = await h.start(wf);
    const waiting = await h.waitFor(id, isWaiting);
    assert.equal(waiting.waiting!.until, isoFromMs(now + HOUR_MS), 'until is computed from the injected clock');

    now += HOUR_MS - 1;
    await h.runtime.runner!.idle(); // every runnable thing done at the injected "now"
    assert.equal((await h.runtime.getRun(id))!.status, 'waiting', 'woke a millisecond early');

    now += 1;
    const done = await h.waitFor(id, isDone);
    assert.equal(done.status, 'completed');
    // Every timestamp the run wrote is on the injected clock too (2031), never the wall clock.
    const stamps = [done.created_at, done.updated_at, ...(await h.ledger(id)).flatMap((r) => [r.started_at, r.ended_at ?? r.started_at])];
    assert.ok(stamps.length > 4);
    for (const t of stamps) assert.match(t, /^2031-05-06T0[78]:/, `timestamp ${t} is not on the injected clock`);
  });
});
