// Shared pieces of the run/ledger/command HTTP tests: a hand-built bundle written into the
// server's bundle directory, and polling helpers over the public API.

import assert from 'node:assert/strict';
import { exec, data, wire, flowOf } from '../flow/flowkit.js';
import { writeBundleDir } from '../helpers/bundles.js';
import type { TestServer } from '../helpers/http.js';
import type { VisualFlow } from '../../src/flow/types.js';

const start = (outputs: string[] = []) => exec('start', 'on_flow_start', { entry: true, outputs });
const end = (id: string, inputs: string[]) => exec(id, 'on_flow_end', { inputs, execOuts: [] });

export const GO_SESSION = 'sess-go';

/** Bundle `demo@0.0.0`: ask (entrypoint), echo, wait_go, root → child. */
export function demoFlows(): VisualFlow[] {
  const ask = flowOf(
    [start(), exec('ask', 'ask_user', { inputs: ['prompt'], outputs: ['response'], pinDefaults: { prompt: 'Your name?' } }), end('end', ['response'])],
    [wire('start', 'ask'), wire('ask', 'end'), data('ask', 'response', 'end', 'response')],
    { id: 'ask' },
  );
  const echo = flowOf(
    [start(['prompt', 'n']), end('end', ['prompt'])],
    [wire('start', 'end'), data('start', 'prompt', 'end', 'prompt')],
    { id: 'echo' },
  );
  const waitGo = flowOf(
    [start(), exec('wait', 'wait_event', { inputs: ['event_key'], outputs: ['event_data'], pinDefaults: { event_key: `evt:session:${GO_SESSION}:go` } }), end('end', ['event_data'])],
    [wire('start', 'wait'), wire('wait', 'end'), data('wait', 'event_data', 'end', 'event_data')],
    { id: 'wait_go' },
  );
  const child = flowOf([start(), end('end', [])], [wire('start', 'end')], { id: 'child' });
  const root = flowOf(
    [start(), exec('sub', 'subflow', { inputs: [], outputs: ['output'], subflowId: 'child' }), end('end', ['out'])],
    [wire('start', 'sub'), wire('sub', 'end'), data('sub', 'output', 'end', 'out')],
    { id: 'root' },
  );
  return [ask, echo, waitGo, root, child];
}

/** Write bundles into the server's bundle dir and reload the registry. */
export async function installFlows(s: TestServer, bundleId: string, flows: VisualFlow[], version?: string): Promise<void> {
  await writeBundleDir(s.flowsDir, bundleId, flows, version);
  const res = await s.plane.catalog.reloadBundles();
  assert.deepEqual(res.errors, []);
}

export async function json(res: Response, status = 200): Promise<any> {
  const body = await res.text();
  assert.equal(res.status, status, body);
  return JSON.parse(body);
}

export async function startRun(s: TestServer, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<string> {
  return (await json(await s.api('/api/gateway/runs/start', { method: 'POST', json: body, headers }))).run_id;
}

/** Poll GET /runs/{id} until `pred` holds. */
export async function waitRun(s: TestServer, runId: string, pred: (r: any) => boolean, timeoutMs = 5000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await json(await s.api(`/api/gateway/runs/${runId}`));
    if (pred(run)) return run;
    if (Date.now() > deadline) throw new Error(`timeout waiting for run ${runId}: ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const terminal = (r: any) => ['completed', 'failed', 'cancelled'].includes(r.status);
export const waitingOnKey = (r: any) => r.status === 'waiting' && typeof r.waiting?.wait_key === 'string';

export async function ledger(s: TestServer, runId: string): Promise<any[]> {
  return (await json(await s.api(`/api/gateway/runs/${runId}/ledger?limit=2000`))).items;
}

export const postCommand = (s: TestServer, body: Record<string, unknown>) => s.api('/api/gateway/commands', { method: 'POST', json: body });
