// The `abstractgateway` CLI as real processes: first-start token bootstrap, graceful SIGTERM,
// split API/runner mode, and SIGKILL mid-run without loss.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, wire, flowOf } from '../flow/flowkit.js';
import { SseReader, hasDone, steps } from '../helpers/sse.js';
import { writeBundleDir } from '../helpers/bundles.js';
import { launch } from '../helpers/cli.js';
import { killIf, waitUntil } from '../helpers/processes.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';

const TOKEN = 'cli-test-token-0123456789';

async function dirs() {
  const root = await mkdtemp(join(tmpdir(), 'agw-cli-'));
  const dataDir = join(root, 'data');
  const flowsDir = join(root, 'flows');
  await mkdir(flowsDir, { recursive: true });
  const nap = flowOf(
    [
      exec('start', 'on_flow_start', { entry: true, outputs: [] }),
      exec('sleep', 'wait_until', { inputs: ['duration'], pinDefaults: { duration: 0.8 } }),
      exec('end', 'on_flow_end', { inputs: [], execOuts: [] }),
    ],
    [wire('start', 'sleep'), wire('sleep', 'end')],
    { id: 'nap' },
  );
  const ask = flowOf(
    [
      exec('start', 'on_flow_start', { entry: true, outputs: [] }),
      exec('ask', 'ask_user', { inputs: ['prompt'], outputs: ['response'], pinDefaults: { prompt: 'Go?' } }),
      exec('end', 'on_flow_end', { inputs: [], execOuts: [] }),
    ],
    [wire('start', 'ask'), wire('ask', 'end')],
    { id: 'ask' },
  );
  await writeBundleDir(flowsDir, 'cli', [nap, ask]);
  return { root, dataDir, flowsDir, env: { ABSTRACTGATEWAY_DATA_DIR: dataDir, ABSTRACTGATEWAY_FLOWS_DIR: flowsDir, ABSTRACTGATEWAY_POLL_S: '0.05' } };
}

const authed = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

async function startNap(url: string, token: string, flowId = 'nap'): Promise<string> {
  const res = await fetch(`${url}/api/gateway/runs/start`, { method: 'POST', headers: authed(token), body: JSON.stringify({ bundle_id: 'cli', flow_id: flowId, input_data: {} }) });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { run_id: string }).run_id;
}

async function statusOf(url: string, token: string, runId: string): Promise<string> {
  const res = await fetch(`${url}/api/gateway/runs/${runId}`, { headers: authed(token) });
  return ((await res.json()) as { status: string }).status;
}

async function waitStatus(url: string, token: string, runId: string, want: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await statusOf(url, token, runId)) !== want) {
    assert.ok(Date.now() < deadline, `run ${runId} never reached ${want}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('abstractgateway CLI', () => {
  it('generates a private admin token on first start, prints only its path, reuses it, and exits cleanly on SIGTERM', { timeout: 60_000 }, async () => {
    const d = await dirs();
    const first = launch(['serve', '--host', '127.0.0.1', '--port', '0'], d.env);
    const url = await first.url;
    const tokenFile = join(d.dataDir, 'auth', 'bootstrap-admin-token');
    assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);
    const token = (await readFile(tokenFile, 'utf8')).trim();
    assert.ok(token.length >= 32);
    assert.match(first.output(), new RegExp(`generated an admin token in ${tokenFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.ok(!first.output().includes(token), 'the token itself must never be logged');
    assert.equal((await fetch(`${url}/api/gateway/ping`)).status, 401);
    assert.equal((await fetch(`${url}/api/gateway/ping`, { headers: authed(token) })).status, 200);
    first.child.kill('SIGTERM');
    assert.equal(await first.exit, 0);

    const second = launch(['serve', '--host', '127.0.0.1', '--port', '0'], d.env);
    const url2 = await second.url;
    assert.ok(!second.output().includes('generated'), 'second start reuses the token');
    assert.equal((await fetch(`${url2}/api/gateway/ping`, { headers: authed(token) })).status, 200);
    second.child.kill('SIGTERM');
    assert.equal(await second.exit, 0);
    await rm(d.root, { recursive: true, force: true });
  });

  it('refuses a weak token on a public bind', async () => {
    const d = await dirs();
    const p = launch(['serve', '--host', '0.0.0.0', '--port', '0'], { ...d.env, ABSTRACTGATEWAY_AUTH_TOKEN: 'changeme' });
    assert.equal(await p.exit, 1);
    assert.match(p.output(), /Refusing to start: weak auth token/);
    await rm(d.root, { recursive: true, force: true });
  });

  it('split mode: an API process without runner and a runner process complete runs together', { timeout: 60_000 }, async () => {
    const d = await dirs();
    const env = { ...d.env, ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN };
    const api = launch(['serve', '--host', '127.0.0.1', '--port', '0', '--no-runner'], env);
    const url = await api.url;
    const runId = await startNap(url, TOKEN);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await statusOf(url, TOKEN, runId), 'running', 'no runner yet: the run waits to be picked up');
    const runner = launch(['runner'], env);
    await waitStatus(url, TOKEN, runId, 'completed');
    runner.child.kill('SIGTERM');
    api.child.kill('SIGTERM');
    assert.equal(await runner.exit, 0);
    assert.equal(await api.exit, 0);
    await rm(d.root, { recursive: true, force: true });
  });

  it('split mode: hints cross processes, so a command reaches an open SSE stream without waiting for the poll', { timeout: 60_000 }, async () => {
    const d = await dirs();
    // A 30 s fallback poll: anything the test sees within its 10 s waits came through the hints.
    const env = { ...d.env, ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN, ABSTRACTGATEWAY_POLL_S: '30' };
    const api = launch(['serve', '--host', '127.0.0.1', '--port', '0', '--no-runner'], env);
    const runner = launch(['runner'], env);
    const url = await api.url;
    await waitUntil(async () => (await readdir(join(d.dataDir, 'notify'))).length >= 2 || undefined, 'both processes to open their notification sockets', 20_000);
    const runId = await startNap(url, TOKEN, 'ask');
    const sse = new SseReader(await fetch(`${url}/api/gateway/runs/${runId}/ledger/stream`, { headers: authed(TOKEN) }));
    await sse.until((f) => steps(f).some((st) => st.record.status === 'waiting'), 10_000);
    const res = await fetch(`${url}/api/gateway/commands`, {
      method: 'POST',
      headers: authed(TOKEN),
      body: JSON.stringify({ command_id: 'go-1', run_id: runId, type: 'resume', payload: { payload: { response: 'yes' } } }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const all = await sse.until(hasDone, 10_000);
    assert.equal(steps(all).at(-1).record.idempotency_key, 'system:terminal_status:completed');
    runner.child.kill('SIGTERM');
    api.child.kill('SIGTERM');
    assert.equal(await runner.exit, 0);
    assert.equal(await api.exit, 0);
    await rm(d.root, { recursive: true, force: true });
  });

  it('SIGKILL of the server mid-run loses nothing: after restart the run completes', { timeout: 60_000 }, async () => {
    const d = await dirs();
    const env = { ...d.env, ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN, ABSTRACTGATEWAY_LEASE_S: '1' };
    const first = launch(['serve', '--host', '127.0.0.1', '--port', '0'], env);
    const url = await first.url;
    // The test reads the server's store itself: it kills the server frozen (SIGSTOP) at the moment
    // the store shows the run waiting on its timer. Should the machine stall past the timer before
    // the freeze, the run has moved on: the server runs on and the next run is the candidate.
    const store = openSqliteStore({ dataDir: d.dataDir });
    const rt = store.scope('default');
    const runId = await waitUntil(async () => {
      const id = await startNap(url, TOKEN);
      await waitUntil(async () => ((await rt.getRun(id))?.ledger_len ?? 0) >= 2, `run ${id} to reach its timer`, 20_000);
      return killIf(first.child, async () => {
        const sr = (await rt.getRun(id))!;
        return sr.run.status === 'waiting' && sr.run.waiting?.reason === 'until' && sr.ledger_len === 2 ? id : undefined;
      });
    }, 'the server killed while a run waits on its timer', 40_000);
    await first.exit;
    await store.close();
    const second = launch(['serve', '--host', '127.0.0.1', '--port', '0'], env);
    const url2 = await second.url;
    await waitStatus(url2, TOKEN, runId, 'completed');
    const ledger = (await (await fetch(`${url2}/api/gateway/runs/${runId}/ledger`, { headers: authed(TOKEN) })).json()) as { items: { status: string }[] };
    assert.deepEqual(
      ledger.items.map((r) => r.status),
      ['started', 'waiting', 'completed', 'completed'],
    );
    second.child.kill('SIGTERM');
    assert.equal(await second.exit, 0);
    await rm(d.root, { recursive: true, force: true });
  });
});
