// Crash safety of outside-world effects: the runner process is SIGKILLed once per loop step,
// each time while every run's LLM effect of that step is in flight (its `started` record is in
// the ledger and the handler is running and cannot return: the worker holds that prompt).
// Afterwards every run completed, each effect completed exactly once, and an effect ran again
// only because a kill interrupted it (same idempotency key, a `started` record without a
// result), never after its result was recorded.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, pure, data, wire, flowOf } from '../flow/flowkit.js';
import { writeBundleDir } from '../helpers/bundles.js';
import { stopProcess, waitUntil } from '../helpers/processes.js';
import { loadConfig } from '../../src/config/config.js';
import { Gateway } from '../../src/app/gateway.js';

const WORKER = new URL('./crash-worker.js', import.meta.url).pathname;
const RUNS = 30;
const STEPS = 4;

const chat = flowOf(
  [
    exec('start', 'on_flow_start', { entry: true, outputs: [] }),
    exec('for', 'for', { inputs: ['start', 'end'], execOuts: ['loop', 'done'], outputs: ['i'], pinDefaults: { start: 0, end: STEPS } }),
    pure('prompt', 'concat', { inputs: ['a', 'b'], pinDefaults: { a: 'question' } }),
    exec('llm', 'llm_call', { inputs: ['prompt'], outputs: ['response'] }),
    exec('end', 'on_flow_end', { inputs: ['last'], execOuts: [] }),
  ],
  [
    wire('start', 'for'),
    wire('for', 'llm', 'loop'),
    data('for', 'i', 'prompt', 'b'),
    data('prompt', 'result', 'llm', 'prompt'),
    wire('for', 'end', 'done'),
    data('llm', 'response', 'end', 'last'),
  ],
  { id: 'chat' },
);

describe('crash safety of outside-world effects', () => {
  it('re-runs only interrupted effects, with the same key, and records each result once', { timeout: 120_000 }, async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'agw-crash-fx-'));
    const flowsDir = join(root, 'flows');
    await mkdir(flowsDir, { recursive: true });
    await writeBundleDir(flowsDir, 'fx', [chat]);
    const effectLog = join(root, 'effects.log');
    await writeFile(effectLog, '');
    // The lease must outlive any stall of a busy machine: a held effect whose lease expired would
    // be claimed again by the same worker (a third attempt the test does not expect).
    const env = { ...process.env, ABSTRACTGATEWAY_DATA_DIR: join(root, 'data'), ABSTRACTGATEWAY_FLOWS_DIR: flowsDir, ABSTRACTGATEWAY_POLL_S: '0.05', ABSTRACTGATEWAY_LEASE_S: '2', EFFECT_LOG: effectLog };
    const api = await Gateway.open(loadConfig(env, { runner: false }));
    let worker: ChildProcess | null = null;
    t.after(async () => {
      worker?.kill('SIGKILL');
      await api.close();
      await rm(root, { recursive: true, force: true });
    });
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) ids.push((await api.root.runtime.startRun({ workflow_id: 'fx@0.0.0:chat' })).run_id);

    const spawnWorker = (holdPrompt?: string): ChildProcess =>
      spawn(process.execPath, [WORKER], { env: holdPrompt === undefined ? env : { ...env, HOLD_PROMPT: holdPrompt }, stdio: 'ignore' });
    const executionsOf = async () => (await readFile(effectLog, 'utf8')).split('\n').filter(Boolean);

    /** Runs whose effect for `prompt` is in flight now: started, no result, and the handler entered for every attempt. */
    const inFlight = async (prompt: string): Promise<string[]> => {
      const executed = await executionsOf();
      const holding: string[] = [];
      for (const id of ids) {
        const records = (await api.root.runtime.readLedger(id, 0, 1000)).items.filter((r) => r.effect?.type === 'llm_call' && r.effect.payload.prompt === prompt);
        const finished = new Set(records.filter((r) => r.status !== 'started').map((r) => r.step_id));
        const started = records.filter((r) => r.status === 'started');
        const open = started.filter((r) => !finished.has(r.step_id));
        const ran = executed.filter((line) => line === `${id} ${open[0]?.idempotency_key}`).length;
        if (open.length === 1 && ran === started.length) holding.push(id);
      }
      return holding;
    };

    // One worker per loop step. Each resumes the effect the previous kill interrupted, then holds
    // this step's effect; it is killed once every run shows that effect in flight.
    let interrupted = 0;
    for (let step = 0; step < STEPS; step++) {
      const prompt = `question ${step}`;
      worker = spawnWorker(prompt);
      await waitUntil(async () => (await inFlight(prompt)).length === RUNS, async () => `all runs holding '${prompt}' (have ${(await inFlight(prompt)).length}/${RUNS})`);
      await stopProcess(worker, 'SIGKILL');
    }
    worker = spawnWorker();
    await waitUntil(async () => (await Promise.all(ids.map((id) => api.root.runtime.getRun(id)))).every((r) => r?.status === 'completed'), 'runs to finish', 60_000);
    await stopProcess(worker, 'SIGTERM');
    worker = null;

    const executions = new Map<string, number>();
    for (const line of await executionsOf()) executions.set(line, (executions.get(line) ?? 0) + 1);
    for (const id of ids) {
      const run = (await api.root.runtime.getRun(id))!;
      assert.deepEqual(run.output, { last: `echo question ${STEPS - 1}`, success: true });
      const records = (await api.root.runtime.readLedger(id, 0, 1000)).items.filter((r) => r.effect?.type === 'llm_call');
      const keys = [...new Set(records.map((r) => r.idempotency_key!))];
      assert.equal(keys.length, STEPS, 'one idempotency key per loop iteration');
      for (const key of keys) {
        const mine = records.filter((r) => r.idempotency_key === key);
        const completed = mine.filter((r) => r.status === 'completed');
        const started = mine.filter((r) => r.status === 'started');
        assert.equal(completed.length, 1, `effect ${key} completed ${completed.length} times`);
        assert.equal(completed[0].step_id, started.at(-1)!.step_id, 'the result belongs to the last attempt');
        // Earlier attempts were cut off by a kill: their started record has no result.
        const finishedSteps = new Set(mine.filter((r) => r.status !== 'started').map((r) => r.step_id));
        assert.equal(started.slice(0, -1).filter((r) => finishedSteps.has(r.step_id)).length, 0);
        const ran = executions.get(`${id} ${key}`) ?? 0;
        assert.ok(ran >= 1 && ran <= started.length, `effect ${key} ran ${ran} times for ${started.length} attempts`);
        // Every effect was caught in flight by exactly one kill, inside its handler, and re-run once.
        assert.equal(started.length, 2, `effect ${key} was attempted ${started.length} times`);
        assert.equal(ran, started.length, `effect ${key} ran ${ran} times for ${started.length} attempts`);
        interrupted += started.length - 1;
      }
    }
    assert.equal(interrupted, RUNS * STEPS, 'each kill interrupted the effect of its step in every run');
  });
});
