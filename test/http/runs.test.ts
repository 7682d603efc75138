// Run routes over a real socket: the start pipeline, summaries, listing, inputs and history
// bundles (spec core-api §3, conformance scenarios §11.1 and §11.9).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startServer, type TestServer } from '../helpers/http.js';
import { Gateway } from '../../src/app/gateway.js';
import { loadConfig } from '../../src/config/config.js';
import { startOnce, startRequestDigest } from '../../src/gateway/start-idempotency.js';
import { runSummary } from '../../src/gateway/run-summary.js';
import { demoFlows, installFlows, json, ledger, postCommand, startRun, terminal, waitRun, waitingOnKey } from './runs-kit.js';
import { nowIso } from '../../src/model/time.js';

const DRAFT_LIFECYCLE = { purpose: 'draft_test', retention: { mode: 'ephemeral', ttl_s: '3600' }, ignored: { x: 1 } };

describe('runs HTTP', () => {
  let s: TestServer;
  let operatorDir: string;
  before(async () => {
    operatorDir = join(process.env.TMPDIR ?? '/tmp', `agw-ws-${randomUUID()}`);
    mkdirSync(join(operatorDir, 'proj'), { recursive: true });
    s = await startServer({ fixtures: ['yoda@dev.flow', 'basic-agent@0.0.1.flow'], env: { ABSTRACTGATEWAY_WORKSPACE_DIR: operatorDir } });
    await installFlows(s, 'demo', demoFlows());
    await installFlows(s, 'drafty', demoFlows().slice(1, 2), 'draft.1');
  });
  after(async () => {
    await s.close();
    rmSync(operatorDir, { recursive: true, force: true });
  });

  it('§11.1 start → wait → resume → complete', async () => {
    const runId = await startRun(s, { bundle_id: 'demo', flow_id: 'ask', input_data: {} });
    assert.match(runId, /^[0-9a-f-]{36}$/);
    const waiting = await waitRun(s, runId, waitingOnKey);
    assert.deepEqual(waiting.waiting, {
      reason: 'user',
      wait_key: `user:${runId}:ask`,
      until: null,
      prompt: 'Your name?',
      choices: waiting.waiting.choices,
      allow_free_text: true,
      details: waiting.waiting.details,
    });
    await json(await postCommand(s, { command_id: randomUUID(), run_id: runId, type: 'resume', payload: { wait_key: waiting.waiting.wait_key, payload: { response: 'Ada' } } }));
    const done = await waitRun(s, runId, terminal);
    assert.equal(done.status, 'completed');
    assert.ok((await ledger(s, runId)).some((r) => r.status === 'completed'));
  });

  it('GET /runs/{id} is the summary projection, never vars', async () => {
    const runId = await startRun(s, { flow_id: 'demo:echo', input_data: { prompt: 'hi', secret: 'x' }, session_id: 'sess-1' });
    const run = await waitRun(s, runId, terminal);
    assert.deepEqual(Object.keys(run).sort(), [
      'actor_id', 'created_at', 'current_node', 'error', 'flow_warnings', 'is_draft', 'is_scheduled', 'ledger_len', 'limits', 'parent_run_id',
      'pause_reason', 'paused', 'paused_at', 'resumed_at', 'run_id', 'run_lifecycle', 'schedule', 'session_id', 'status', 'updated_at', 'waiting', 'workflow_id',
    ]);
    assert.equal(run.workflow_id, 'demo@0.0.0:echo');
    assert.equal(run.session_id, 'sess-1');
    assert.equal(run.actor_id, 'gateway');
    assert.equal(run.paused, false);
    assert.equal(run.is_draft, false);
    assert.equal(run.run_lifecycle, null);
    assert.equal(run.waiting, null);
    assert.equal(run.ledger_len, 2);
    assert.deepEqual(run.limits, { tokens: { estimated_used: 0, max_tokens: 32768, max_input_tokens: null, pct: 0, warn_tokens_pct: 80 } });
    assert.ok(!JSON.stringify(run).includes('"secret"'));
  });

  it('GET /runs/{id} is re-sent from cache only while the run is unchanged: a pause (no ledger record) shows at once', async () => {
    const runId = await startRun(s, { bundle_id: 'demo', flow_id: 'wait_go' });
    const waiting = await waitRun(s, runId, (r) => r.status === 'waiting');
    const first = await s.api(`/api/gateway/runs/${runId}`);
    assert.equal(first.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(((await first.json()) as { paused: boolean }).paused, false);
    await json(await postCommand(s, { command_id: randomUUID(), run_id: runId, type: 'pause', payload: { reason: 'hold' } }));
    const paused = await waitRun(s, runId, (r) => r.paused === true);
    assert.equal(paused.ledger_len, waiting.ledger_len);
    assert.deepEqual(paused, runSummary((await s.plane.runtime.getStoredRun(runId))!));
  });

  it('unknown run → 404 with the reference message', async () => {
    for (const path of ['', '/input_data', '/history_bundle']) {
      assert.deepEqual(await json(await s.api(`/api/gateway/runs/nope${path}`), 404), { detail: "Run 'nope' not found" });
    }
  });

  it('session_id defaults to the run id', async () => {
    const runId = await startRun(s, { bundle_id: 'demo', flow_id: 'echo', session_id: '  ' });
    assert.equal((await waitRun(s, runId, terminal)).session_id, runId);
  });

  it('resolution errors carry the reference status and message', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{}, 400, 'flow_id is required (or provide bundle_id to start a bundle entrypoint)'],
      [{ bundle_id: ' ', flow_id: '' }, 400, 'flow_id is required (or provide bundle_id to start a bundle entrypoint)'],
      [{ bundle_id: 'nope' }, 404, "Bundle 'nope' not found"],
      [{ bundle_id: 'demo', bundle_version: '9.9' }, 404, "Bundle 'demo@9.9' not found"],
      [{ bundle_id: 'demo', flow_id: 'zzz' }, 404, "Workflow 'demo@0.0.0:zzz' not found"],
      [{ flow_id: 'echo' }, 400, "Failed to start run: bundle_id is required when multiple bundles are loaded (or pass flow_id as 'bundle:flow')"],
      [{ bundle_id: 'demo', flow_id: 'scheduled:abc' }, 400, "Failed to start run: flow_id 'scheduled:abc' is already namespaced, but bundle_id/bundle_version was also provided"],
      [{ flow_id: 'scheduled:abc' }, 404, "Workflow 'scheduled:abc' not found"],
      [{ bundle_id: 'demo', flow_id: 'echo', registry_scope: 'weird' }, 400, 'Unsupported registry_scope: weird'],
      [{ bundle_id: 'demo', flow_id: 'echo', registry_scope: 'framework_catalog' }, 501, 'framework_catalog is reserved but not loadable yet; use tenant_catalog'],
    ];
    for (const [body, status, detail] of cases) {
      assert.deepEqual(await json(await s.api('/api/gateway/runs/start', { method: 'POST', json: body }), status), { detail }, JSON.stringify(body));
    }
  });

  it('the default entrypoint of a bundle starts when flow_id is omitted; raw workflow ids start too', async () => {
    const a = await startRun(s, { bundle_id: 'demo' });
    assert.equal((await waitRun(s, a, waitingOnKey)).workflow_id, 'demo@0.0.0:ask');
    const b = await startRun(s, { flow_id: 'demo@0.0.0:echo' });
    assert.equal((await waitRun(s, b, terminal)).workflow_id, 'demo@0.0.0:echo');
  });

  it('a deprecated workflow cannot be started (409), an undeprecated one can', async () => {
    s.plane.catalog.deprecations.deprecate('demo', 'echo', 'retired');
    assert.deepEqual(await json(await s.api('/api/gateway/runs/start', { method: 'POST', json: { bundle_id: 'demo', flow_id: 'echo' } }), 409), {
      detail: "Workflow 'demo:echo' is deprecated: retired",
    });
    s.plane.catalog.deprecations.undeprecate('demo', 'echo');
    s.plane.catalog.deprecations.deprecate('demo', '*');
    assert.deepEqual(await json(await s.api('/api/gateway/runs/start', { method: 'POST', json: { flow_id: 'demo:echo' } }), 409), {
      detail: "Workflow 'demo:echo' is deprecated",
    });
    s.plane.catalog.deprecations.undeprecate('demo', '*');
    await startRun(s, { bundle_id: 'demo', flow_id: 'echo' });
  });

  it('draft versions start only as draft tests', async () => {
    const body = { bundle_id: 'drafty', bundle_version: 'draft.1', flow_id: 'echo' };
    assert.deepEqual(await json(await s.api('/api/gateway/runs/start', { method: 'POST', json: body }), 400), {
      detail: "draft bundle versions require run_lifecycle.purpose='draft_test'",
    });
    for (const variant of [{ bundle_id: 'drafty@draft.1', flow_id: 'echo' }, { flow_id: 'drafty@DRAFT.1:echo' }]) {
      assert.equal((await s.api('/api/gateway/runs/start', { method: 'POST', json: variant })).status, 400, JSON.stringify(variant));
    }
    const runId = await startRun(s, { ...body, run_lifecycle: { purpose: 'draft_test' } });
    assert.equal((await waitRun(s, runId, terminal)).workflow_id, 'drafty@draft.1:echo');
  });

  it('input hygiene: workflow_policy dropped, thinking set, lifecycle sanitized', async () => {
    const runId = await startRun(s, {
      bundle_id: 'demo',
      flow_id: 'echo',
      input_data: { prompt: 'p', _runtime: { workflow_policy: { allow: 'all' }, keep: 1 } },
      thinking: '  high ',
      run_lifecycle: { source: ' editor ', purpose: 'x'.repeat(300), retention: { ttl_s: true, mode: '' }, other: 1 },
    });
    const vars = (await s.plane.runtime.getRun(runId))!.vars;
    assert.equal(vars._runtime.workflow_policy, undefined);
    assert.equal(vars._runtime.keep, 1);
    assert.equal(vars._runtime.thinking, 'high');
    assert.deepEqual(vars._run_lifecycle, { source: 'editor', purpose: 'x'.repeat(240) });

    const plain = await startRun(s, { bundle_id: 'demo', flow_id: 'echo', thinking: 42, run_lifecycle: { retention: { ttl_s: -1 } } });
    const v2 = (await s.plane.runtime.getRun(plain))!.vars;
    assert.equal(v2._runtime.thinking, undefined);
    assert.equal(v2._run_lifecycle, undefined);
  });

  it('each run gets its own marked workspace unless it brings an allowed one', async () => {
    const own = await startRun(s, { bundle_id: 'demo', flow_id: 'echo', input_data: { workspace_root: '/etc', workspace_access_mode: 'all_except_ignored' } });
    const vars = (await s.plane.runtime.getRun(own))!.vars;
    assert.match(vars.workspace_root, new RegExp(`^${s.dataDir}/workspaces/[0-9a-f]{32}$`));
    assert.equal(vars.workspace_access_mode, 'workspace_only');
    const marker = JSON.parse(readFileSync(join(vars.workspace_root, '.abstractgateway-workspace.json'), 'utf8'));
    assert.deepEqual({ ...marker, created_at: 'x' }, { owner: 'abstractgateway', kind: 'run_workspace', run_id: own, created_at: 'x' });

    const mine = await startRun(s, {
      bundle_id: 'demo',
      flow_id: 'echo',
      input_data: { workspace_root: 'proj', workspaceAllowedPaths: ['/etc', `${operatorDir}/proj/sub`], workspace_ignored_paths: [' a ', 'b'] },
    });
    const v2 = (await s.plane.runtime.getRun(mine))!.vars;
    assert.equal(v2.workspace_root, join(operatorDir, 'proj'));
    assert.deepEqual(v2.workspace_allowed_paths, [`${operatorDir}/proj/sub`]);
    assert.equal(v2.workspaceAllowedPaths, undefined);
    assert.equal(v2.workspace_ignored_paths, 'a\nb');
  });

  it('a rejected start leaves no workspace behind', async () => {
    const count = () => (existsSync(join(s.dataDir, 'workspaces')) ? readdirSync(join(s.dataDir, 'workspaces')).length : 0);
    const before = count();
    await s.api('/api/gateway/runs/start', { method: 'POST', json: { bundle_id: 'demo', flow_id: 'zzz' } });
    assert.equal(count(), before);
  });

  it('Idempotency-Key: a repeated key returns the first run and creates one run', async () => {
    const key = randomUUID();
    const body = { bundle_id: 'demo', flow_id: 'echo', session_id: `idem-${key}` };
    const ids = await Promise.all([1, 2, 3].map(() => startRun(s, body, { 'idempotency-key': key })));
    assert.equal(new Set(ids).size, 1);
    assert.equal(await startRun(s, body, { 'idempotency-key': key }), ids[0]);
    const other = await startRun(s, body, { 'idempotency-key': randomUUID() });
    assert.notEqual(other, ids[0]);
    const listed = await json(await s.api(`/api/gateway/runs?session_id=idem-${key}`));
    assert.equal(listed.items.length, 2);
    // Durable: another process on the same data dir (e.g. after a restart) gets the same run.
    const other2 = await Gateway.open(loadConfig({ ABSTRACTGATEWAY_DATA_DIR: s.dataDir, ABSTRACTGATEWAY_FLOWS_DIR: s.flowsDir }, { runner: false }));
    try {
      assert.equal(await startOnce(other2.root, key, startRequestDigest(body), () => Promise.reject(new Error('must not start again'))), ids[0]);
    } finally {
      await other2.close();
    }
  });

  it('Idempotency-Key: simultaneous first requests all get the one run (the loser sees the committed winner)', async () => {
    for (let round = 0; round < 10; round++) {
      const key = randomUUID();
      const start = (runId: string) => s.plane.runtime.startRun({ workflow_id: 'demo@0.0.0:echo', run_id: runId }).then((r) => r.run_id);
      const ids = await Promise.all(Array.from({ length: 5 }, () => startOnce(s.plane, key, 'same-body', start)));
      assert.equal(new Set(ids).size, 1, `round ${round}: ${ids.join(',')}`);
    }
  });

  it('§11.9 listing: drafts, lifecycle, ledger_len, status filter, internal runs', async () => {
    const session = `list-${randomUUID()}`;
    const draft = await startRun(s, { bundle_id: 'drafty', bundle_version: 'draft.1', flow_id: 'echo', session_id: session, run_lifecycle: DRAFT_LIFECYCLE });
    const published = await startRun(s, { bundle_id: 'demo', flow_id: 'echo', session_id: session });
    const waiting = await startRun(s, { bundle_id: 'demo', flow_id: 'ask', session_id: session });
    await waitRun(s, draft, terminal);
    await waitRun(s, published, terminal);
    await waitRun(s, waiting, waitingOnKey);
    // An internal run (session-memory owner style), written straight to the store.
    const now = nowIso();
    await s.gateway.store.scope(s.plane.runtimeId).tx((tx) =>
      tx.insertRun({
        run_id: `session_memory_${session}`, workflow_id: '__session_memory__', status: 'completed', current_node: 'x', vars: {}, waiting: null,
        output: null, error: null, created_at: now, updated_at: now, actor_id: 'gateway', session_id: session, parent_run_id: null,
      }),
    );

    const list = async (q: string) => (await json(await s.api(`/api/gateway/runs?session_id=${session}${q}`))).items;
    assert.deepEqual((await list('')).map((r: any) => r.run_id).sort(), [published, waiting].sort());
    const all = await list('&include_drafts=true');
    assert.deepEqual(all.map((r: any) => r.run_id).sort(), [draft, published, waiting].sort());
    const d = all.find((r: any) => r.run_id === draft);
    assert.equal(d.is_draft, true);
    assert.deepEqual(d.run_lifecycle, { purpose: 'draft_test', retention: { mode: 'ephemeral', ttl_s: 3600 } });
    for (const r of all.filter((x: any) => x.status === 'completed')) assert.ok(Number.isInteger(r.ledger_len) && r.ledger_len >= 1);
    assert.deepEqual((await list('&status=COMPLETED')).map((r: any) => r.run_id), [published]);
    assert.deepEqual((await list('&status=waiting')).map((r: any) => r.run_id), [waiting]);
    assert.deepEqual((await list('&limit=1&include_drafts=true')).map((r: any) => r.run_id), [waiting], 'most recently updated first');
    assert.equal((await list('&include_ledger_len=false'))[0].ledger_len, undefined);
    const internal = await list('&workflow_id=__session_memory__');
    assert.deepEqual(internal.map((r: any) => r.run_id), [`session_memory_${session}`]);
    const metrics = (await list('&include_metrics=true')).find((r: any) => r.run_id === published);
    assert.deepEqual([metrics.steps, metrics.llm_calls, metrics.tool_calls, metrics.tokens_total], [2, 0, 0, 0]);
  });

  it('unauthenticated GET /runs is refused', async () => {
    for (const authorization of ['', 'Bearer wrong']) {
      const res = await s.api('/api/gateway/runs', { headers: { authorization } });
      assert.ok([401, 403].includes(res.status), `${authorization}: ${res.status}`);
    }
  });

  it('GET /runs: root_only, bad status → 400, bad limit → 422 list form', async () => {
    const root = await startRun(s, { bundle_id: 'demo', flow_id: 'root', session_id: 'tree' });
    await waitRun(s, root, terminal);
    const items = (await json(await s.api('/api/gateway/runs?session_id=tree'))).items;
    assert.equal(items.length, 2);
    assert.deepEqual((await json(await s.api('/api/gateway/runs?session_id=tree&root_only=true'))).items.map((r: any) => r.run_id), [root]);
    assert.deepEqual(await json(await s.api('/api/gateway/runs?status=paused'), 400), { detail: 'Invalid status (expected: running|waiting|completed|failed|cancelled)' });
    const bad = await json(await s.api('/api/gateway/runs?limit=0'), 422);
    assert.deepEqual(bad.detail[0].loc, ['query', 'limit']);
    assert.equal(typeof bad.detail[0].msg, 'string');
    assert.equal((await s.api('/api/gateway/runs?limit=501')).status, 422);
  });

  it('POST /runs/start body validation → 422 list form', async () => {
    const bad = await json(await s.api('/api/gateway/runs/start', { method: 'POST', json: { bundle_id: 'demo', input_data: 'x' } }), 422);
    assert.deepEqual(bad.detail[0].loc, ['body', 'input_data']);
    assert.equal(bad.detail[0].type, 'object_type');
    const nul = await json(await s.api('/api/gateway/runs/start', { method: 'POST', json: { bundle_id: 'demo', flow_id: 'echo', session_id: null, bundle_version: null } }));
    assert.ok(nul.run_id);
  });

  it('fixture yoda@dev through the API: output and ledger', async () => {
    const runId = await startRun(s, { bundle_id: 'yoda', flow_id: '646770d8', input_data: { prompt: 'hello master' } });
    const run = await waitRun(s, runId, terminal);
    assert.equal(run.status, 'completed');
    const records = await ledger(s, runId);
    assert.deepEqual(records[0].result, { completed: true, output: { success: true, result: { prompt: 'hello master' } } });
    assert.equal(records.at(-1).idempotency_key, 'system:terminal_status:completed');
    const input = await json(await s.api(`/api/gateway/runs/${runId}/input_data`));
    assert.equal(input.bundle_id, 'yoda');
    assert.equal(input.bundle_version, 'dev');
    assert.equal(input.input_data.prompt, 'hello master');
  });

  it('fixture basic-agent@0.0.1 status child 15f19f7f completes', async () => {
    const runId = await startRun(s, { flow_id: 'basic-agent@0.0.1:15f19f7f', input_data: { state: 'Thinking...' } });
    const run = await waitRun(s, runId, terminal);
    assert.equal(run.status, 'completed');
    const records = await ledger(s, runId);
    assert.equal(records[0].effect.payload.name, 'abstract.status');
    assert.equal(records.length, 3);
  });

  it('GET /runs/{id}/input_data filters to start pins and hides server paths', async () => {
    const runId = await startRun(s, { bundle_id: 'demo', flow_id: 'echo', input_data: { prompt: 'p', n: 2, extra: 'no', workspace_root: 'proj' } });
    const body = await json(await s.api(`/api/gateway/runs/${runId}/input_data`));
    assert.deepEqual(body, {
      run_id: runId,
      workflow_id: 'demo@0.0.0:echo',
      bundle_id: 'demo',
      bundle_version: '0.0.0',
      flow_id: 'echo',
      pin_ids: ['prompt', 'n'],
      input_data: { prompt: 'p', n: 2 },
      workspace: { workspace_root: 'proj' },
    });
    // No start pins: everything public, bundle_id is the raw prefix (reference quirk).
    const ask = await startRun(s, { bundle_id: 'demo', flow_id: 'ask', input_data: { a: 1 } });
    const b2 = await json(await s.api(`/api/gateway/runs/${ask}/input_data`));
    assert.equal(b2.bundle_id, 'demo@0.0.0');
    assert.equal(b2.flow_id, 'ask');
    assert.deepEqual(b2.pin_ids, []);
    assert.equal(b2.input_data.a, 1);
    assert.ok(!Object.keys(b2.input_data).some((k) => k.startsWith('_')));
  });

  it('GET /runs/{id}/history_bundle: run tree ledgers with absolute cursors', async () => {
    // Too large for a request body (security cap), so seeded through the runtime.
    const root = (await s.plane.runtime.startRun({ workflow_id: 'demo@0.0.0:root', input_data: { big: 'y'.repeat(300_000), small: 1 } })).run_id;
    await waitRun(s, root, terminal);
    const full = await json(await s.api(`/api/gateway/runs/${root}/history_bundle?ledger_mode=full`));
    assert.equal(full.version, 1);
    assert.equal(full.root_run_id, root);
    assert.equal(full.run.status, 'completed');
    const ids = Object.keys(full.ledgers);
    assert.equal(ids.length, 2);
    assert.equal(ids[0], root);
    const rootLedger = full.ledgers[root];
    assert.equal(rootLedger.cursor_start, 1);
    assert.equal(rootLedger.cursor_end, rootLedger.total);
    assert.deepEqual(rootLedger.items.map((i: any) => i.cursor), Array.from({ length: rootLedger.total }, (_, i) => i + 1));
    assert.equal(full.timeline.length, Object.values(full.ledgers).reduce((n: number, l: any) => n + l.items.length, 0));
    assert.equal(full.input_data.small, 1);
    assert.ok(typeof full.input_data.big.$artifact === 'string', 'oversized input offloaded');
    assert.equal(full.session, null);

    const tail = await json(await s.api(`/api/gateway/runs/${root}/history_bundle?ledger_mode=tail&ledger_max_items=1&include_subruns=false&include_session=true`));
    assert.deepEqual(Object.keys(tail.ledgers), [root]);
    assert.equal(tail.ledgers[root].cursor_start, rootLedger.total);
    assert.equal(tail.ledgers[root].items.length, 1);
    assert.equal(tail.session.session_id, root);
    assert.deepEqual(tail.session.turns.map((t: any) => t.run_id), [root]);
    assert.deepEqual(await json(await s.api(`/api/gateway/runs/${root}/history_bundle?ledger_mode=x`), 400), { detail: "ledger_mode must be 'tail' or 'full'" });
    assert.equal((await s.api(`/api/gateway/runs/${root}/history_bundle?ledger_max_items=-1`)).status, 422);
  });
});
