// Bundle routes over a real socket (spec core-api §2.4, §11 scenarios 7 and 8): discovery
// projections on the reference's real bundles, upload/reload/delete on disk, deprecations,
// and the shipped bundles end to end.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SHIPPED_BUNDLES_DIR } from '../../src/config/config.js';
import { readBundle } from '../../src/bundles/archive.js';
import { exec, flowOf, wire } from '../flow/flowkit.js';
import { buildZip, bundleZip, renameEntry } from '../bundles/zip-helpers.js';
import { FIXTURES } from '../helpers/harness.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { json, startRun, waitRun } from './runs-kit.js';

const GW = '/api/gateway';
const DRAFT_FIXTURE = 'Untitled-Flow@draft.7dc05dbc-58d5-4175-b58f-3531f5548246.flow';

/** `demo@<version>`: a single `root` flow on_flow_start → on_flow_end. */
const demoZip = (version: string) =>
  bundleZip('demo', version, {
    root: flowOf([exec('start', 'on_flow_start', { entry: true }), exec('end', 'on_flow_end', { execOuts: [] })], [wire('start', 'end')], { id: 'root' }),
  });

function form(bytes: Buffer, fields: Record<string, string> = {}, filename = 'bundle.flow'): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.set(k, v);
  fd.set('file', new Blob([bytes]), filename);
  return fd;
}

const upload = (s: TestServer, bytes: Buffer, fields?: Record<string, string>) =>
  s.api(`${GW}/bundles/upload`, { method: 'POST', body: form(bytes, fields) });

const get = async (s: TestServer, path: string, status = 200) => json(await s.api(GW + path), status);

const flowFiles = async (s: TestServer) => (await readdir(s.flowsDir)).sort();

describe('bundle discovery (reference fixtures)', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ fixtures: ['basic-agent.flow', 'basic-agent@0.0.1.flow', 'test@dev.flow', DRAFT_FIXTURE], config: { runner: false } });
  });
  after(() => s.close());

  it('lists the latest published version of each bundle, drafts hidden', async () => {
    const body = await get(s, '/bundles');
    assert.deepEqual(body.items.map((i: any) => i.bundle_ref), ['basic-agent@0.0.1', 'test@dev']);
    assert.equal(body.default_bundle_id, null);
    const agent = body.items[0];
    assert.deepEqual(agent, {
      bundle_id: 'basic-agent',
      bundle_version: '0.0.1',
      bundle_ref: 'basic-agent@0.0.1',
      registry_scope: 'private',
      version_channel: 'published',
      is_draft: false,
      is_published: true,
      latest_published_version: '0.0.1',
      latest_any_version: '0.0.1',
      created_at: '2026-01-16T21:48:42.024069+00:00',
      metadata: {},
      default_entrypoint: '81795ea9',
      entrypoints: [
        {
          flow_id: '81795ea9',
          name: 'basic-agent',
          description: '',
          interfaces: ['abstractcode.agent.v1'],
          workflow_id: 'basic-agent@0.0.1:81795ea9',
          deprecated: false,
          deprecated_at: null,
          deprecated_reason: null,
        },
      ],
      actions: { can_run: true, can_upload: true, can_remove: true, can_deprecate: true, catalog_promote_endpoint: '/api/gateway/admin/workflow-catalog/promote' },
    });
  });

  it('all_versions lists every version; include_drafts adds the draft channel', async () => {
    const all = await get(s, '/bundles?all_versions=true');
    assert.deepEqual(all.items.map((i: any) => i.bundle_ref), ['basic-agent@0.0.0', 'basic-agent@0.0.1', 'test@dev']);
    // pydantic-style booleans are accepted like the reference ("1", "yes").
    const drafts = await get(s, '/bundles?all_versions=1&include_drafts=yes');
    const draft = drafts.items.find((i: any) => i.bundle_id === 'Untitled-Flow');
    assert.equal(drafts.items.length, 4);
    assert.equal(draft.version_channel, 'draft');
    assert.equal(draft.is_draft, true);
    assert.equal(draft.latest_published_version, null);
    assert.equal(draft.latest_any_version, draft.bundle_version);
    const latestWithDrafts = await get(s, '/bundles?include_drafts=true');
    assert.deepEqual(latestWithDrafts.items.map((i: any) => i.bundle_ref), ['Untitled-Flow@draft.7dc05dbc-58d5-4175-b58f-3531f5548246', 'basic-agent@0.0.1', 'test@dev']);
    const bad = await get(s, '/bundles?all_versions=maybe', 422);
    assert.deepEqual(bad.detail[0].loc, ['query', 'all_versions']);
  });

  it('bundle detail: latest by default, entrypoint inputs and node index', async () => {
    const d = await get(s, '/bundles/basic-agent');
    assert.equal(d.bundle_ref, 'basic-agent@0.0.1');
    assert.deepEqual(d.flows, ['15f19f7f', '81795ea9']);
    assert.equal(d.default_entrypoint, '81795ea9');
    const ep = d.entrypoints[0];
    assert.equal(ep.workflow_id, 'basic-agent@0.0.1:81795ea9');
    assert.deepEqual(ep.inputs.slice(0, 3), [
      { id: 'use_context', label: 'use_context', type: 'boolean', default: false },
      { id: 'context', label: 'context', type: 'object' },
      { id: 'provider', label: 'provider', type: 'provider', default: 'lmstudio' },
    ]);
    assert.equal(ep.inputs.length, 12);
    assert.deepEqual(ep.node_index['node-1'], { type: 'on_flow_start', label: 'RECEIVING PROMPT', headerColor: '#C0392B' });
    assert.deepEqual(ep.node_index['node-4'], { type: 'subflow', label: 'Thinking', headerColor: '#00CCCC' });
    assert.equal(ep.deprecated, false);

    assert.equal((await get(s, '/bundles/basic-agent@0.0.0')).bundle_version, '0.0.0');
    assert.equal((await get(s, '/bundles/basic-agent?bundle_version=0.0.0')).bundle_version, '0.0.0');
  });

  it('bundle detail errors: version conflict 400, unknown bundle or version 404', async () => {
    const conflict = await get(s, '/bundles/basic-agent@0.0.1?bundle_version=0.0.0', 400);
    assert.equal(conflict.detail, "bundle_version conflicts with bundle_id (bundle_id already includes '@version')");
    assert.equal((await get(s, '/bundles/nope', 404)).detail, "Bundle 'nope' not found");
    assert.equal((await get(s, '/bundles/basic-agent@9.9.9', 404)).detail, "Bundle 'basic-agent@9.9.9' not found");
  });

  it('flows/{flow_id} returns the raw flow as stored in the zip (not namespaced)', async () => {
    const raw = (await readBundle(join(FIXTURES, 'basic-agent@0.0.1.flow'))).flows['81795ea9'];
    const f = await get(s, '/bundles/basic-agent/flows/81795ea9');
    assert.deepEqual(
      { ...f, flow: undefined },
      { bundle_id: 'basic-agent', bundle_version: '0.0.1', bundle_ref: 'basic-agent@0.0.1', flow_id: '81795ea9', workflow_id: 'basic-agent@0.0.1:81795ea9', flow: undefined },
    );
    assert.deepEqual(f.flow, raw);
    assert.equal(f.flow.id, '81795ea9');
    assert.equal(f.flow.nodes.find((n: any) => n.id === 'node-4').data.subflowId, '15f19f7f');

    const ns = await get(s, `/bundles/basic-agent/flows/${encodeURIComponent('basic-agent@0.0.0:15f19f7f')}`);
    assert.equal(ns.workflow_id, 'basic-agent@0.0.0:15f19f7f');
    assert.equal((await get(s, '/bundles/basic-agent/flows/test:b4c6f107', 400)).detail, 'flow_id bundle prefix does not match bundle_id');
    assert.equal((await get(s, '/bundles/basic-agent/flows/basic-agent@0.0.0:81795ea9?bundle_version=0.0.1', 400)).detail, 'flow_id version does not match bundle_version');
    assert.equal((await get(s, '/bundles/basic-agent/flows/zzz', 404)).detail, "Flow 'zzz' not found in bundle 'basic-agent@0.0.1'");
  });

  it('input_schema derives the run contract from on_flow_start (spec §2.5 example)', async () => {
    const sc = await get(s, '/bundles/basic-agent/flows/81795ea9/input_schema');
    assert.equal(sc.workflow_id, 'basic-agent@0.0.1:81795ea9');
    assert.equal(sc.version, 1);
    assert.deepEqual(sc.input_data_schema.required, ['context', 'system', 'prompt', 'max_in_tokens', 'resp_schema']);
    assert.equal(sc.input_data_schema.type, 'object');
    assert.equal(sc.input_data_schema.additionalProperties, true);
    assert.deepEqual(Object.keys(sc.defaults).sort(), ['max_iterations', 'model', 'provider', 'seed', 'temperature', 'tools', 'use_context']);
    assert.deepEqual(sc.input_data_schema.properties.provider, { type: 'string', 'x-abstract-type': 'provider', default: 'lmstudio' });
    assert.deepEqual(sc.input_data_schema.properties.context, { type: 'object', 'x-abstract-type': 'object' });
    assert.equal(sc.input_data_schema.properties.tools['x-abstract-type'], 'tools');
    assert.equal(sc.input_data_schema.properties.tools.type, undefined);
    const prompt = sc.inputs.find((p: any) => p.id === 'prompt');
    assert.deepEqual(prompt, { id: 'prompt', label: 'prompt', type: 'string', required: true, schema: { type: 'string', 'x-abstract-type': 'string' } });
    const seed = sc.inputs.find((p: any) => p.id === 'seed');
    assert.deepEqual(seed, { id: 'seed', label: 'seed', type: 'number', default: -1, required: false, schema: { type: 'number', 'x-abstract-type': 'number', default: -1 } });
  });

  it('workflows/{id}/flow: dynamic flows first, then bundle flows, else 404', async () => {
    const viaWorkflow = await get(s, '/workflows/basic-agent@0.0.1:81795ea9/flow');
    assert.deepEqual(viaWorkflow, await get(s, '/bundles/basic-agent/flows/81795ea9'));
    assert.equal((await get(s, '/workflows/basic-agent:15f19f7f/flow')).workflow_id, 'basic-agent@0.0.1:15f19f7f');

    const wid = 'scheduled:0b0e6f3c-1111-4222-8333-444455556666';
    await mkdir(join(s.dataDir, 'dynamic_flows'), { recursive: true });
    await writeFile(join(s.dataDir, 'dynamic_flows', 'scheduled_0b0e6f3c-1111-4222-8333-444455556666.json'), JSON.stringify({ id: wid, nodes: [], edges: [] }));
    assert.deepEqual(await get(s, `/workflows/${wid}/flow`), { workflow_id: wid, flow: { id: wid, nodes: [], edges: [] }, source: 'dynamic' });

    assert.equal((await get(s, '/workflows/nope:x/flow', 404)).detail, "Workflow 'nope:x' not found");
  });
});

describe('bundle upload, reload and delete', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { ABSTRACTGATEWAY_MAX_BUNDLE_BYTES: '20000' }, config: { runner: false } });
  });
  after(() => s.close());

  it('installs an uploaded bundle as <id>@<version>.flow and reloads (scenario 7)', async () => {
    const bytes = await demoZip('0.0.1');
    const body = await json(await upload(s, bytes));
    assert.deepEqual(body, {
      ok: true,
      bundle_id: 'demo',
      bundle_version: '0.0.1',
      bundle_ref: 'demo@0.0.1',
      sha256: createHash('sha256').update(bytes).digest('hex'),
      default_entrypoint: 'root',
      entrypoints: [{ flow_id: 'root', name: 'demo', description: '', interfaces: [] }],
      gateway_reloaded: true,
      gateway_reload_error: null,
    });
    assert.deepEqual(await flowFiles(s), ['demo@0.0.1.flow']);
    assert.deepEqual(await readFile(join(s.flowsDir, 'demo@0.0.1.flow')), bytes);
    const listed = await get(s, '/bundles?all_versions=true');
    assert.deepEqual(listed.items.map((i: any) => i.bundle_ref), ['demo@0.0.1']);
    assert.equal(listed.default_bundle_id, 'demo');
  });

  it('refuses to replace an installed id@version unless overwrite', async () => {
    const refused = await json(await upload(s, await demoZip('0.0.1')), 400);
    assert.equal(refused.detail, 'Bundle already installed: demo@0.0.1.flow');
    const replaced = await json(await upload(s, await demoZip('0.0.1'), { overwrite: 'true' }));
    assert.equal(replaced.bundle_ref, 'demo@0.0.1');
    assert.deepEqual(await flowFiles(s), ['demo@0.0.1.flow']);
  });

  it('an installed identity under another file name also counts, and overwrite replaces it', async () => {
    await writeFile(join(s.flowsDir, 'legacy-name.flow'), await demoZip('0.0.5'));
    assert.equal((await json(await upload(s, await demoZip('0.0.5')), 400)).detail, 'Bundle already installed: legacy-name.flow');
    await json(await upload(s, await demoZip('0.0.5'), { overwrite: '1' }));
    assert.deepEqual(await flowFiles(s), ['demo@0.0.1.flow', 'demo@0.0.5.flow']);
  });

  it('rejects invalid bundles with 400 before anything is written', async () => {
    const before = await flowFiles(s);
    const corrupt = await json(await upload(s, Buffer.from('PK\u0003\u0004 definitely not a zip')), 400);
    assert.match(corrupt.detail, /zip/i);
    const slip = renameEntry(await demoZip('0.0.9'), 'flows/root.json', '../flows/r.json');
    assert.match((await json(await upload(s, slip), 400)).detail, /unsafe entry path/);
    const badManifest = await buildZip([{ name: 'manifest.json', data: '{"bundle_format_version": "2"}' }]);
    assert.match((await json(await upload(s, badManifest), 400)).detail, /bundle_format_version/);
    const noExec = await bundleZip('demo', '0.0.9', { root: { id: 'root', nodes: [], edges: [] } });
    assert.match((await json(await upload(s, noExec), 400)).detail, /failed to compile/);
    assert.equal((await json(await upload(s, Buffer.alloc(0)), 400)).detail, 'Bundle content is empty');
    assert.deepEqual(await flowFiles(s), before);
  });

  it('413 above ABSTRACTGATEWAY_MAX_BUNDLE_BYTES, 422 without a file part', async () => {
    const tooBig = await json(await upload(s, Buffer.alloc(20001, 7)), 413);
    assert.equal(tooBig.detail, 'Bundle too large (20001 bytes > 20000 bytes)');
    const fd = new FormData();
    fd.set('overwrite', 'true');
    const missing = await json(await s.api(`${GW}/bundles/upload`, { method: 'POST', body: fd }), 422);
    assert.deepEqual(missing.detail[0].loc, ['body', 'file']);
  });

  it('reload=false installs without touching the registry; POST /bundles/reload picks it up', async () => {
    const body = await json(await upload(s, await demoZip('0.0.7'), { reload: 'false' }));
    assert.equal(body.gateway_reloaded, false);
    assert.equal((await get(s, '/bundles/demo')).bundle_version, '0.0.5');
    const reloaded = await json(await s.api(`${GW}/bundles/reload`, { method: 'POST' }));
    assert.deepEqual(reloaded, { ok: true, bundle_ids: ['demo'], count: 1, skipped: [] });
    assert.equal((await get(s, '/bundles/demo')).bundle_version, '0.0.7');
  });

  it('reload skips a bad bundle and lists it, keeping the good ones', async () => {
    await writeFile(join(s.flowsDir, 'broken.flow'), 'nope');
    const reloaded = await json(await s.api(`${GW}/bundles/reload`, { method: 'POST' }));
    assert.deepEqual(reloaded.bundle_ids, ['demo']);
    assert.deepEqual(reloaded.skipped.map((x: any) => x.file), ['broken.flow']);
    assert.match(reloaded.skipped[0].error, /zip/i);
  });

  it('DELETE removes by manifest identity; a second delete is 404', async () => {
    const del = (path: string) => s.api(GW + path, { method: 'DELETE' });
    assert.equal((await json(await del('/bundles/demo@0.0.1?bundle_version=0.0.5'), 400)).detail, 'bundle_id version does not match bundle_version');

    const one = await json(await del('/bundles/demo?bundle_version=0.0.1&reload=true'));
    assert.deepEqual(one, { ok: true, bundle_ref: 'demo@0.0.1', removed: 1, gateway_reloaded: true, gateway_reload_error: null });
    assert.equal((await json(await del('/bundles/demo?bundle_version=0.0.1'), 404)).detail, "Bundle 'demo@0.0.1' not found");
    assert.deepEqual((await get(s, '/bundles?all_versions=true')).items.map((i: any) => i.bundle_ref), ['demo@0.0.5', 'demo@0.0.7']);

    const rest = await json(await del('/bundles/demo.flow?reload=false'));
    assert.deepEqual(rest, { ok: true, bundle_ref: 'demo', removed: 2, gateway_reloaded: false, gateway_reload_error: null });
    assert.deepEqual(await flowFiles(s), ['broken.flow']);
    assert.equal((await json(await del('/bundles/demo'), 404)).detail, "Bundle 'demo' not found");
  });
});

describe('bundle deprecation (scenario 8)', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ config: { runner: false } });
    await json(await upload(s, await demoZip('0.0.1')));
  });
  after(() => s.close());

  const post = (path: string, body: unknown) => s.api(GW + path, { method: 'POST', json: body });

  it('deprecating an entrypoint hides it from discovery and persists the record', async () => {
    const dep = await json(await post('/bundles/demo/deprecate', { flow_id: 'root', reason: ' retired ' }));
    assert.deepEqual(Object.keys(dep).sort(), ['bundle_id', 'deprecated_at', 'flow_id', 'ok', 'reason']);
    assert.equal(dep.flow_id, 'root');
    assert.equal(dep.reason, 'retired');
    assert.match(dep.deprecated_at, /^\d{4}-\d\d-\d\dT.*Z$/);

    const hidden = await get(s, '/bundles');
    assert.deepEqual(hidden, { items: [], default_bundle_id: null });
    const shown = await get(s, '/bundles?include_deprecated=true');
    assert.equal(shown.default_bundle_id, 'demo');
    assert.deepEqual(
      { ...shown.items[0].entrypoints[0] },
      { flow_id: 'root', name: 'demo', description: '', interfaces: [], workflow_id: 'demo@0.0.1:root', deprecated: true, deprecated_at: dep.deprecated_at, deprecated_reason: 'retired' },
    );
    assert.equal((await get(s, '/bundles/demo')).entrypoints[0].deprecated, true);

    const file = JSON.parse(await readFile(join(s.dataDir, 'workflow_deprecations.json'), 'utf8'));
    assert.deepEqual(file, { version: 1, bundles: { demo: { root: { deprecated_at: dep.deprecated_at, reason: 'retired' } } } });
  });

  it('undeprecate removes the record (once)', async () => {
    assert.deepEqual(await json(await post('/bundles/demo/undeprecate', { flow_id: 'root' })), { ok: true, bundle_id: 'demo', flow_id: 'root', removed: true });
    assert.deepEqual(await json(await post('/bundles/demo/undeprecate', { flow_id: 'root' })), { ok: true, bundle_id: 'demo', flow_id: 'root', removed: false });
    assert.equal((await get(s, '/bundles')).items.length, 1);
  });

  it('a whole-bundle deprecation is the "*" record', async () => {
    const dep = await json(await post('/bundles/demo/deprecate', {}));
    assert.equal(dep.flow_id, '*');
    assert.equal('reason' in dep, false);
    assert.equal((await get(s, '/bundles')).items.length, 0);
    assert.equal((await json(await post('/bundles/demo/undeprecate', { flow_id: '' }))).removed, true);
  });

  it('404 for an unknown bundle or entrypoint', async () => {
    assert.equal((await json(await post('/bundles/nope/deprecate', {}), 404)).detail, "Bundle 'nope' not found");
    assert.equal((await json(await post('/bundles/demo/deprecate', { flow_id: 'nope' }), 404)).detail, "Entrypoint 'demo:nope' not found");
  });
});

describe('shipped bundles', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
    for (const name of ['basic-agent.flow', 'demo-ask.flow']) {
      const body = await json(await upload(s, await readFile(join(SHIPPED_BUNDLES_DIR, name))));
      assert.equal(body.gateway_reload_error, null);
    }
  });
  after(() => s.close());

  it('basic-agent keeps the reference entrypoint contract', async () => {
    const ours = await readBundle(join(SHIPPED_BUNDLES_DIR, 'basic-agent.flow'));
    const ref = await readBundle(join(FIXTURES, 'basic-agent@0.0.1.flow'));
    const startNode = (flow: any) => flow.nodes.find((n: any) => n.type === 'on_flow_start').data;
    const ourStart = startNode(ours.flows[ours.manifest.default_entrypoint!]);
    const refStart = startNode(ref.flows[ref.manifest.default_entrypoint!]);
    assert.deepEqual(ourStart.outputs, refStart.outputs.map(({ id, label, type }: any) => ({ id, label, type })));
    assert.deepEqual(ourStart.pinDefaults, refStart.pinDefaults);
    assert.deepEqual(ours.manifest.entrypoints[0].interfaces, ['abstractcode.agent.v1']);

    const d = await get(s, '/bundles/basic-agent');
    assert.equal(d.bundle_version, '0.1.0');
    const sc = await get(s, `/bundles/basic-agent/flows/${d.default_entrypoint}/input_schema`);
    assert.deepEqual(sc.input_data_schema.required, ['context', 'system', 'prompt', 'max_in_tokens', 'resp_schema']);
    const end = Object.values(d.entrypoints[0].node_index).find((n: any) => n.type === 'on_flow_end');
    assert.ok(end);
    const flow = (await get(s, `/bundles/basic-agent/flows/${d.default_entrypoint}`)).flow;
    const endPins = flow.nodes.find((n: any) => n.type === 'on_flow_end').data.inputs.map((p: any) => p.id);
    assert.deepEqual(endPins, ['exec-in', 'response', 'success', 'meta', 'scratchpad']);
  });

  it('demo-ask runs end to end: asks, is answered, greets', async () => {
    const runId = await startRun(s, { bundle_id: 'demo-ask', input_data: {} });
    const waiting = await waitRun(s, runId, (r) => Boolean(r.waiting?.wait_key));
    assert.equal(waiting.waiting.prompt, 'What is your name?');
    const cmd = { command_id: `c-${runId}`, run_id: runId, type: 'resume', payload: { wait_key: waiting.waiting.wait_key, payload: { response: 'Ada' } } };
    await json(await s.api(`${GW}/commands`, { method: 'POST', json: cmd }));
    const done = await waitRun(s, runId, (r) => r.status === 'completed');
    assert.equal(done.status, 'completed');
    const run = await s.plane.runtime.getRun(runId);
    assert.deepEqual(run!.output, { response: 'Hello, Ada', success: true });
    const said = (await s.plane.runtime.readLedger(runId, 0, 100)).items.find((r) => r.status === 'completed' && r.effect?.type === 'answer_user');
    assert.equal(said?.result.message, 'Hello, Ada');
  });
});
