// Outside-world effects under concurrency: a cancel landing while an effect runs, and the
// runner's concurrency limit while runs are re-claimed between effects.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exec, pure, data, wire, flowOf } from '../flow/flowkit.js';
import { isDone, makeHarness, shape } from '../helpers/harness.js';
import type { EffectHandler } from '../../src/runtime/effects/index.js';

const oneCall = flowOf(
  [exec('start', 'on_flow_start', { entry: true, outputs: [] }), exec('llm', 'llm_call', { inputs: ['prompt'], pinDefaults: { prompt: 'hi' } })],
  [wire('start', 'llm')],
  { id: 'one' },
);

const manyCalls = flowOf(
  [
    exec('start', 'on_flow_start', { entry: true, outputs: [] }),
    exec('for', 'for', { inputs: ['start', 'end'], execOuts: ['loop', 'done'], outputs: ['i'], pinDefaults: { start: 0, end: 6 } }),
    pure('p', 'concat', { inputs: ['a', 'b'], pinDefaults: { a: 'q' } }),
    exec('llm', 'llm_call', { inputs: ['prompt'] }),
    exec('end', 'on_flow_end', { inputs: [], execOuts: [] }),
  ],
  [wire('start', 'for'), wire('for', 'llm', 'loop'), data('for', 'i', 'p', 'b'), data('p', 'result', 'llm', 'prompt'), wire('for', 'end', 'done')],
  { id: 'many' },
);

describe('external effects', () => {
  it('a cancel during an effect wins: the late result is not appended after the terminal record', async () => {
    let release!: () => void;
    let started!: () => void;
    const inFlight = new Promise<void>((r) => (started = r));
    const llm: EffectHandler = {
      mode: 'external',
      async run() {
        started();
        await new Promise<void>((r) => (release = r));
        return { status: 'completed', result: { content: 'late' } };
      },
    };
    const h = await makeHarness({ effects: { llm_call: llm } });
    try {
      const wf = await h.addFlows('fx1', [oneCall]);
      const id = await h.start(wf.one);
      await inFlight;
      await h.runtime.submitCommand({ run_id: id, type: 'cancel' });
      assert.equal((await h.waitFor(id, isDone)).status, 'cancelled');
      release();
      await h.runtime.runner!.idle();
      const records = shape(await h.ledger(id));
      assert.deepEqual(records, ['llm started llm_call', 'llm completed emit_event']);
    } finally {
      release?.();
      await h.close();
    }
  });

  it('runs awaiting an outside call lend their worker slot, up to maxOutside calls beyond the concurrency', async () => {
    let running = 0;
    let peak = 0;
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    const llm: EffectHandler = {
      mode: 'external',
      async run() {
        peak = Math.max(peak, ++running);
        // The first calls wait until 5 are in flight at once: only lent slots can get there.
        if (peak >= 5) openGate();
        await gate;
        running -= 1;
        return { status: 'completed', result: { content: 'ok' } };
      },
    };
    const h = await makeHarness({ effects: { llm_call: llm }, runner: { concurrency: 2, maxOutside: 3 }, maxStepsPerTick: 2 });
    try {
      const wf = await h.addFlows('fx2', [manyCalls]);
      const ids = await Promise.all(Array.from({ length: 8 }, () => h.start(wf.many)));
      for (const id of ids) assert.equal((await h.waitFor(id, isDone)).status, 'completed');
      assert.equal(peak, 5, `peak outside calls ${peak}: 2 workers + 3 lent`);
    } finally {
      await h.close();
    }
  });
});
