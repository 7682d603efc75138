// Crash safety of outside-world effects: a runner whose LLM effect takes tens of milliseconds is
// SIGKILLed again and again. Afterwards every run completed, each effect completed exactly once,
// and an effect ran more than once only when a kill interrupted it (same idempotency key, a
// `started` record without a result), never after its result was recorded.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, pure, data, wire, flowOf } from '../flow/flowkit.js';
import { writeBundleDir } from '../helpers/bundles.js';
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
    const env = { ...process.env, ABSTRACTGATEWAY_DATA_DIR: join(root, 'data'), ABSTRACTGATEWAY_FLOWS_DIR: flowsDir, ABSTRACTGATEWAY_POLL_S: '0.05', ABSTRACTGATEWAY_LEASE_S: '0.5', EFFECT_LOG: effectLog };
    const api = await Gateway.open(loadConfig(env, { runner: false }));
    let worker: ChildProcess | null = null;
    t.after(async () => {
      worker?.kill('SIGKILL');
      await api.close();
      await rm(root, { recursive: true, force: true });
    });
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) ids.push((await api.root.runtime.startRun({ workflow_id: 'fx@0.0.0:chat' })).run_id);

    const spawnWorker = (): ChildProcess => spawn(process.execPath, [WORKER], { env, stdio: 'ignore' });
    const stop = async (w: ChildProcess, signal: NodeJS.Signals) => {
      const exited = new Promise((r) => w.once('exit', r));
      w.kill(signal);
      await exited;
    };
    worker = spawnWorker();
    let interrupted = 0;
    for (let k = 0; k < 8; k++) {
      // Long enough for the worker to boot and run effects, short enough to cut some mid-flight.
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 400));
      await stop(worker, 'SIGKILL');
      worker = spawnWorker();
    }
    const deadline = Date.now() + 60_000;
    while ((await Promise.all(ids.map((id) => api.root.runtime.getRun(id)))).some((r) => r?.status !== 'completed')) {
      assert.ok(Date.now() < deadline, 'runs did not finish');
      await new Promise((r) => setTimeout(r, 50));
    }
    await stop(worker, 'SIGTERM');
    worker = null;

    const executions = new Map<string, number>();
    for (const line of (await readFile(effectLog, 'utf8')).split('\n').filter(Boolean)) executions.set(line, (executions.get(line) ?? 0) + 1);
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
        interrupted += started.length - 1;
      }
    }
    assert.ok(interrupted > 0, 'at least one kill hit an effect in flight (otherwise this test proves nothing)');
  });
});
