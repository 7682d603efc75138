// Crash safety: the real `abstractgateway runner` process is killed with SIGKILL at random
// moments while it drives many runs and applies commands, then restarted. Afterwards every
// run is terminal with the right output, every ledger is contiguous, no command was applied
// twice and no effect completed twice.

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

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const RUNS = 60;
const KILLS = 8;

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('crash safety', () => {
  it('SIGKILL at random moments loses nothing and applies nothing twice', { timeout: 120_000 }, async (t) => {
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

    let killsMidFlight = 0;
    for (let k = 0; k < KILLS; k++) {
      const until = Date.now() + 40 + Math.random() * 250;
      while (Date.now() < until) {
        await answerWaiting();
        await sleep(10);
      }
      const active = (await Promise.all(ids.map((id) => api.root.runtime.getRun(id)))).filter((r) => r?.status === 'running' || (r?.status === 'waiting' && r.waiting?.reason !== 'user'));
      if (active.length > 0) killsMidFlight += 1;
      const killed = new Promise((r) => runner.once('exit', r));
      runner.kill('SIGKILL');
      await killed;
      runner = spawnRunner();
      runner.stderr!.on('data', (d) => stderr.push(String(d)));
    }

    assert.ok(killsMidFlight >= KILLS / 2, `only ${killsMidFlight} kills hit runs in flight`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      await answerWaiting();
      const runs = await Promise.all(ids.map((id) => api.root.runtime.getRun(id)));
      if (runs.every((r) => r?.status === 'completed' || r?.status === 'failed')) break;
      assert.ok(Date.now() < deadline, `runs did not finish: ${JSON.stringify(runs.filter((r) => r?.status !== 'completed').map((r) => [r?.status, r?.current_node, r?.error]))}\n${stderr.join('')}`);
      await sleep(20);
    }
    const stopped = new Promise((r) => runner.once('exit', r));
    runner.kill('SIGTERM');
    await stopped;

    const scope = api.store.scope(api.root.runtimeId);
    const all = await scope.listRuns({ limit: 10_000 });
    assert.equal(all.length, RUNS + ids.reduce((n, _, i) => n + 1 + (i % 8), 0), 'one child run per loop iteration, no more');
    for (const sr of all) {
      const run = sr.run;
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
