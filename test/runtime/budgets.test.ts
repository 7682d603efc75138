// Run budgets (issue 7) through the whole runtime: recursion stops at the subflow depth limit,
// the step budget fails an exec cycle, the children limit fails a fan-out loop, and a normal run
// is not starved by more spinning runs than there are tick workers.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { caller, fanOut, leaf, spin } from '../helpers/budget-flows.js';
import { isDone, makeHarness, type Harness } from '../helpers/harness.js';
import { waitUntil } from '../helpers/processes.js';
import type { RunState } from '../../src/model/run.js';

async function allRuns(h: Harness): Promise<RunState[]> {
  return (await h.runtime.listRuns({ limit: 100_000 })).map((s) => s.run);
}

describe('run budgets', () => {
  const harnesses: Harness[] = [];
  const harness = async (opts: Parameters<typeof makeHarness>[0]) => {
    const h = await makeHarness(opts);
    harnesses.push(h);
    return h;
  };
  after(async () => {
    for (const h of harnesses) await h.close();
  });

  it('a subflow calling itself stops at the default depth limit (64): the deepest run fails naming the limit', async () => {
    const h = await harness({});
    const wf = await h.addFlows('selfrec', [caller('rec', 'rec')]);
    const root = await h.start(wf.rec);
    const done = await h.waitFor(root, isDone, 60_000);
    const runs = await allRuns(h);
    assert.equal(runs.length, 65, 'root + 64 nested children, no more');
    const failed = runs.filter((r) => r.status === 'failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0].usage?.depth, 64);
    assert.match(failed[0].error ?? '', /SubflowDepthExceeded: .*ABSTRACTGATEWAY_MAX_SUBFLOW_DEPTH=64/);
    // The failure reached every ancestor like any child failure: none is left waiting.
    assert.ok(runs.every((r) => isDone(r)));
    assert.equal(done.status, 'completed');
    // Its parent resumed with the failure (spec §3.5.1), as the parent's ledger shows.
    assert.match(JSON.stringify(await h.ledger(failed[0].parent_run_id!)), /"success":false,"error":"SubflowDepthExceeded/);
  });

  it('mutual recursion (ping → pong → ping) stops at a configured depth', async () => {
    const h = await harness({ limits: { maxSubflowDepth: 5 } });
    const wf = await h.addFlows('mutual', [caller('ping', 'pong'), caller('pong', 'ping')]);
    const root = await h.start(wf.ping);
    await h.waitFor(root, isDone);
    const runs = await allRuns(h);
    assert.equal(runs.length, 6);
    const failed = runs.find((r) => r.status === 'failed');
    assert.match(failed?.error ?? '', /ABSTRACTGATEWAY_MAX_SUBFLOW_DEPTH=5/);
    const record = (await h.ledger(failed!.run_id)).find((r) => r.status === 'failed');
    assert.match(record?.error ?? '', /SubflowDepthExceeded/, 'the failure is in the ledger, not only in the run row');
  });

  it('an exec cycle fails at the step budget with a record naming it; the parent gets the failure', async () => {
    const h = await harness({ limits: { maxSteps: 300 } });
    const wf = await h.addFlows('cycle', [spin, caller('parent', 'spin')]);
    const parent = await h.start(wf.parent);
    const done = await h.waitFor(parent, isDone);
    const child = (await allRuns(h)).find((r) => r.parent_run_id === parent)!;
    assert.equal(child.status, 'failed');
    assert.equal(child.usage?.steps, 300);
    assert.match(child.error ?? '', /RunBudgetExceeded: .*ABSTRACTGATEWAY_RUN_MAX_STEPS=300/);
    const failedRecord = (await h.ledger(child.run_id)).find((r) => r.status === 'failed');
    assert.match(failedRecord?.error ?? '', /ABSTRACTGATEWAY_RUN_MAX_STEPS/);
    assert.equal(done.status, 'completed');
    assert.match(JSON.stringify(await h.ledger(parent)), /"success":false,"error":"RunBudgetExceeded/);
  });

  it('the step budget counts steps between waits: a loop that waits on each turn runs past it', async () => {
    const h = await harness({ limits: { maxSteps: 20 } });
    const wf = await h.addFlows('waits', [fanOut, leaf]);
    const id = await h.start(wf.fan_out, { n: 30 });
    const done = await h.waitFor(id, isDone);
    assert.equal(done.status, 'completed', done.error ?? '');
    assert.ok((await h.ledger(id)).filter((r) => r.status === 'waiting').length >= 30, 'it waited on every child');
  });

  it('a run starting more children than allowed fails naming the limit', async () => {
    const h = await harness({ limits: { maxChildren: 3 } });
    const wf = await h.addFlows('fan', [fanOut, leaf]);
    const ok = await h.start(wf.fan_out, { n: 3 });
    assert.equal((await h.waitFor(ok, isDone)).status, 'completed');
    const over = await h.start(wf.fan_out, { n: 10 });
    const run = await h.waitFor(over, isDone);
    assert.equal(run.status, 'failed');
    assert.match(run.error ?? '', /RunBudgetExceeded: .*ABSTRACTGATEWAY_RUN_MAX_CHILDREN=3/);
    assert.equal((await h.runtime.listRuns({ parent_run_id: over })).length, 3);
  });

  it('a normal run finishes beside more spinning runs than tick workers, long before they use up their budget', async () => {
    const workers = 64;
    const h = await harness({ runner: { concurrency: workers }, maxStepsPerTick: 10, limits: { maxSteps: 1000 } });
    const wf = await h.addFlows('starve', [spin, leaf]);
    const spinners: string[] = [];
    for (let i = 0; i < workers + 6; i++) spinners.push(await h.start(wf.spin));
    // Every spinner has been ticked at least once: all workers are busy with them.
    await waitUntil(async () => (await allRuns(h)).every((r) => (r.usage?.steps ?? 0) > 0), 'every spinner to have run');

    const normal = await h.start(wf.leaf);
    const done = await h.waitFor(normal, isDone);
    assert.equal(done.status, 'completed');
    // Fair requeueing: had the normal run waited for a free worker, the spinners would have
    // reached their step budget first (the runner always handed the oldest runs out first).
    const spinning = (await allRuns(h)).filter((r) => spinners.includes(r.run_id));
    assert.deepEqual(spinning.filter((r) => r.status !== 'running').map((r) => r.error), []);

    // And the budget does end them all.
    for (const id of spinners) {
      const r = await h.waitFor(id, isDone, 120_000);
      assert.match(r.error ?? '', /ABSTRACTGATEWAY_RUN_MAX_STEPS=1000/);
    }
  });
});
