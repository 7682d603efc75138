// A runner killed (SIGKILL) while an LLM request is in flight: the next runner re-runs the call
// under the same idempotency key, exactly once, and the run completes with its answer. The kill
// is aimed: it happens once the provider has received the request (an observable event).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { Gateway } from '../../src/app/gateway.js';
import { FIXTURES } from '../helpers/harness.js';
import { waitUntil } from '../helpers/processes.js';
import { openai, startProviderServer } from '../helpers/provider-server.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;

describe('crash during an LLM call', () => {
  it('SIGKILL with the request in flight: one re-run under the same key, one completed record', { timeout: 60_000 }, async (t) => {
    const provider = await startProviderServer();
    const root = await mkdtemp(join(tmpdir(), 'agw-crash-llm-'));
    const flowsDir = join(root, 'flows');
    await mkdir(flowsDir, { recursive: true });
    await copyFile(join(FIXTURES, 'basic-llm-test@0.0.0.flow'), join(flowsDir, 'basic-llm-test@0.0.0.flow'));
    const env = {
      ...process.env,
      ABSTRACTGATEWAY_DATA_DIR: join(root, 'data'),
      ABSTRACTGATEWAY_FLOWS_DIR: flowsDir,
      ABSTRACTGATEWAY_POLL_S: '0.05',
      ABSTRACTGATEWAY_LEASE_S: '1',
      LMSTUDIO_BASE_URL: `${provider.url}/v1`,
    };
    const api = await Gateway.open(loadConfig(env, { runner: false }));
    const runners: ChildProcess[] = [];
    const spawnRunner = () => {
      const child = spawn(process.execPath, [CLI, 'runner'], { env, stdio: 'ignore' });
      runners.push(child);
      return child;
    };
    t.after(async () => {
      for (const r of runners) r.kill('SIGKILL');
      await api.close();
      await provider.close();
      await rm(root, { recursive: true, force: true });
    });

    provider.reply('POST /v1/chat/completions', { hang: true }, openai.stream(['after the crash']));
    const { run_id: runId } = await api.root.runtime.startRun({ workflow_id: 'basic-llm-test@0.0.0:ec5a574d', input_data: { prompt: 'hi', provider: 'lmstudio', model: 'm' } });
    const first = spawnRunner();
    await provider.waitForRequests(1);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    spawnRunner();
    const done = await waitUntil(async () => {
      const run = await api.root.runtime.getRun(runId);
      return run && ['completed', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
    }, 'the run to end after the restart', 30_000);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    assert.equal(done.output!.response, 'after the crash');
    assert.equal(provider.requests.length, 2, 'asked once before the crash and once after');
    const records = (await api.root.runtime.readLedger(runId, 0, 100)).items.filter((r) => r.effect?.type === 'llm_call');
    assert.deepEqual(records.map((r) => r.status), ['started', 'started', 'completed']);
    assert.equal(new Set(records.map((r) => r.idempotency_key)).size, 1, 'one idempotency key');
  });
});
