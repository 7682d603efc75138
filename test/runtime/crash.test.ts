// Crash safety: the real `abstractgateway runner` process is killed with SIGKILL while it drives
// many runs and applies commands, then restarted. Each kill is aimed: once the runner has made
// some progress (ledger records committed since it started), the test freezes it (SIGSTOP) and
// kills it only if the frozen store shows it mid-tick (holding the lease of an unfinished run);
// otherwise it lets it run on to its next commit and looks again. Afterwards every run is
// terminal with the right output, every ledger is contiguous, no command was applied twice, no
// effect completed twice, and every run caught mid-tick was taken over by a later runner.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { writeBundleDir } from '../helpers/bundles.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { exec, pure, data, wire, flowOf } from '../flow/flowkit.js';
import { loadConfig } from '../../src/config/config.js';
import { Gateway } from '../../src/app/gateway.js';
import type { VisualFlow } from '../../src/flow/types.js';
import { isTerminal } from '../../src/model/run.js';
import { killIf, stopProcess, waitUntil } from '../helpers/processes.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const RUNS = 80;
const KILLS = 8;
/** Ledger records a runner commits before the test starts looking for a moment to kill it. */
const PROGRESS = 60;

function flows(): VisualFlow[] {
  const start = (outputs: string[] = []) => exec('start', 'on_flow_start', { entry: true, outputs });
  const leaf = flowOf(
    [start(['i']), exec('say', 'answer_user', { inputs: ['message'] }), exec('end', 'on_flow_end', { inputs: ['i'], execOuts: [] })],
    [wire('start', 'say'), wire('say', 'end'), data('start', 'i', 'say', 'message'), data('start', 'i', 'end', 'i')],
    { id: 'leaf' },
  );
  const work = flowOf(
    [
      start(['n']),
      exec('for', 'for', { inputs: ['start', 'end', 'step'], execOuts: ['loop', 'done'], outputs: ['i', 'index'], pinDefaults: { start: 0, step: 1 } }),
      pure('label', 'concat', { inputs: ['a', 'b'], pinDefaults: { a: 'tick' } }),
      exec('say', 'answer_user', { inputs: ['message'] }),
      exec('child', 'subflow', { inputs: ['i'], outputs: ['output'], subflowId: 'leaf' }),
      exec('nap', 'wait_until', { inputs: ['duration'], pinDefaults: { duration: 0.05 } }),
      exec('ask', 'ask_user', { inputs: ['prompt'], outputs: ['response'], pinDefaults: { prompt: 'Continue?' } }),
      exec('end', 'on_flow_end', { inputs: ['answer', 'n'], execOuts: [] }),
    ],
    [
      wire('start', 'for'),
      data('start', 'n', 'for', 'end'),
      wire('for', 'say', 'loop'),
      data('for', 'i', 'label', 'b'),
      data('label', 'result', 'say', 'message'),
      wire('say', 'child'),
      data('for', 'i', 'child', 'i'),
      wire('child', 'nap'),
      wire('for', 'ask', 'done'),
      wire('ask', 'end'),
      data('ask', 'response', 'end', 'answer'),
      data('start', 'n', 'end', 'n'),
    ],
    { id: 'work' },
  );
  return [work, leaf];
}

describe('crash safety', () => {
  it('SIGKILL mid-tick loses nothing and applies nothing twice', { timeout: 180_000 }, async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'agw-crash-'));
    const dataDir = join(root, 'data');
    const flowsDir = join(root, 'flows');
    await mkdir(flowsDir, { recursive: true });
    await writeBundleDir(flowsDir, 'crash', flows(), '1.0.0');
    const env = { ...process.env, ABSTRACTGATEWAY_DATA_DIR: dataDir, ABSTRACTGATEWAY_FLOWS_DIR: flowsDir, ABSTRACTGATEWAY_POLL_S: '0.05', ABSTRACTGATEWAY_LEASE_S: '1' };

    // This process plays the API: it starts runs and submits commands, never ticks.
    const api = await Gateway.open(loadConfig(env, { runner: false }));
    const spawnRunner = (): ChildProcess => spawn(process.execPath, [CLI, 'runner'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr: string[] = [];
    let runner = spawnRunner();
    t.after(async () => {
      runner.kill('SIGKILL');
      await api.close().catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    });
    runner.stderr!.on('data', (d) => stderr.push(String(d)));

    const wf = 'crash@1.0.0:work';
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) ids.push((await api.root.runtime.startRun({ workflow_id: wf, input_data: { n: 1 + (i % 8) } })).run_id);
    const answered = new Set<string>();

    const answerWaiting = async () => {
      for (const id of ids) {
        if (answered.has(id)) continue;
        const run = await api.root.runtime.getRun(id);
        if (run?.status === 'waiting' && run.waiting?.reason === 'user') {
          const cmd = { command_id: `answer-${id}`, run_id: id, type: 'resume', payload: { wait_key: run.waiting.wait_key, payload: { response: `yes ${id.slice(0, 4)}` } } };
          await api.root.runtime.submitCommand(cmd);
          await api.root.runtime.submitCommand(cmd); // a client retry: must not apply twice
          answered.add(id);
        }
      }
    };

    const scope = api.store.scope(api.root.runtimeId);
    const ledgerTotal = async () => (await scope.listRuns({ limit: 10_000 })).reduce((n, sr) => n + sr.ledger_len, 0);
    /** Owners of the killed runners: any other lease owner is the live runner. */
    const deadOwners = new Set<string>();
    /** Runs a kill caught mid-tick, with the lease epoch the killed runner held. */
    const caught = new Map<string, number>();
    let killsMidFlight = 0;

    /** In the frozen store: the unfinished runs the live runner holds a lease on (its ticks in flight). */
    const midTick = async () => {
      const runs = await scope.listRuns({ limit: 10_000 });
      const leased = runs.filter((sr) => sr.lease_owner !== null && !deadOwners.has(sr.lease_owner) && !isTerminal(sr.run.status));
      if (leased.length === 0) return undefined;
      const active = runs.filter((sr) => sr.run.status === 'running' || (sr.run.status === 'waiting' && sr.run.waiting?.reason !== 'user'));
      return { leased, active };
    };

    for (let k = 0; k < KILLS; k++) {
      let next = (await ledgerTotal()) + PROGRESS;
      const hit = await waitUntil(async () => {
        await answerWaiting();
        const total = await ledgerTotal();
        if (total < next) return undefined;
        next = total + 1; // not mid-tick: look again after the runner's next commit
        return killIf(runner, midTick);
      }, () => `kill ${k + 1}: the runner mid-tick after ${PROGRESS} new records\n${stderr.join('')}`);
      for (const sr of hit.leased) {
        deadOwners.add(sr.lease_owner!);
        caught.set(sr.run.run_id, sr.lease_epoch);
      }
      if (hit.active.length > 0) killsMidFlight += 1;
      runner = spawnRunner();
      runner.stderr!.on('data', (d) => stderr.push(String(d)));
    }
    assert.equal(killsMidFlight, KILLS, `only ${killsMidFlight} kills hit runs in flight`);

    await waitUntil(async () => {
      await answerWaiting();
      const runs = await Promise.all(ids.map((id) => api.root.runtime.getRun(id)));
      return runs.every((r) => r?.status === 'completed' || r?.status === 'failed');
    }, async () => {
      const runs = await Promise.all(ids.map((id) => api.root.runtime.getRun(id)));
      return `runs to finish: ${JSON.stringify(runs.filter((r) => r?.status !== 'completed').map((r) => [r?.status, r?.current_node, r?.error]))}\n${stderr.join('')}`;
    }, 120_000);
    await stopProcess(runner, 'SIGTERM');

    const all = await scope.listRuns({ limit: 10_000 });
    assert.equal(all.length, RUNS + ids.reduce((n, _, i) => n + 1 + (i % 8), 0), 'one child run per loop iteration, no more');
    for (const sr of all) {
      const run = sr.run;
      if (caught.has(run.run_id)) assert.ok(sr.lease_epoch > caught.get(run.run_id)!, `${run.run_id} caught mid-tick was never taken over`);
      assert.equal(run.status, 'completed', `${run.run_id}: ${run.error}`);
      const records = (await scope.readLedger(run.run_id, 0, 10_000)).items;
      assert.equal(records.length, sr.ledger_len);
      const byStep = new Map<string, number>();
      const completedKeys = new Map<string, number>();
      for (const r of records) {
        byStep.set(r.step_id, (byStep.get(r.step_id) ?? 0) + 1);
        if (r.status === 'completed' && r.idempotency_key) completedKeys.set(r.idempotency_key, (completedKeys.get(r.idempotency_key) ?? 0) + 1);
      }
      for (const [key, count] of completedKeys) assert.equal(count, 1, `effect ${key} completed ${count} times in ${run.run_id}`);
      for (const [step, count] of byStep) assert.ok(count <= 2, `step ${step} has ${count} records`);
      // Kernel effects commit their started and final records together: never a dangling start.
      const dangling = records.filter((r) => r.status === 'started' && byStep.get(r.step_id) === 1);
      assert.deepEqual(dangling, []);
      assert.equal(records.filter((r) => r.effect?.type === 'resume' && r.node_id === 'ask').length, run.parent_run_id ? 0 : 1);
      assert.equal(records.filter((r) => r.idempotency_key?.startsWith('system:terminal_status')).length, 1);
    }
    for (const id of ids) {
      const run = (await api.root.runtime.getRun(id))!;
      assert.equal(run.output!.answer, `yes ${id.slice(0, 4)}`);
      assert.equal((await api.root.runtime.getCommand(`answer-${id}`))!.state, 'applied');
      const says = (await scope.readLedger(id, 0, 1000)).items.filter((r) => r.status === 'completed' && r.effect?.type === 'answer_user');
      assert.deepEqual(says.map((r) => r.result.message), Array.from({ length: run.output!.n }, (_, i) => `tick ${i}`));
    }

    // Per-run seq is contiguous 1..N in the database itself.
    const db = new Database(join(dataDir, 'gateway.sqlite3'), { readonly: true });
    const gaps = db.prepare('SELECT run_id, COUNT(*) AS n, MIN(seq) AS lo, MAX(seq) AS hi FROM ledger GROUP BY run_id HAVING lo != 1 OR hi != n').all();
    db.close();
    assert.deepEqual(gaps, []);
  });
});
