// Run artifacts over HTTP (offloaded ledger values), and the empty discovery answers.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exec, wire, data, flowOf } from '../flow/flowkit.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { writeBundleDir, workflowIds } from '../helpers/bundles.js';

const big = 'x'.repeat(5000);
const shout = flowOf(
  [exec('start', 'on_flow_start', { entry: true, outputs: ['text'] }), exec('say', 'answer_user', { inputs: ['message'] })],
  [wire('start', 'say'), data('start', 'text', 'say', 'message')],
  { id: 'shout' },
);

describe('artifacts and discovery routes', () => {
  let s: TestServer;
  let runId: string;
  before(async () => {
    s = await startServer({ env: { ABSTRACTRUNTIME_MAX_INLINE_BYTES: '1024' } });
    await writeBundleDir(s.flowsDir, 'art', [shout]);
    await s.plane.catalog.reloadBundles();
    runId = (await s.plane.runtime.startRun({ workflow_id: workflowIds('art', [shout]).shout, input_data: { text: big } })).run_id;
    for (let i = 0; i < 200 && (await s.plane.runtime.getRun(runId))!.status !== 'completed'; i++) await new Promise((r) => setTimeout(r, 10));
  });
  after(() => s.close());

  it('lists the run’s artifacts and serves their metadata and exact bytes', async () => {
    const res = await s.api(`/api/gateway/runs/${runId}/artifacts`);
    assert.equal(res.status, 200);
    const list = (await res.json()) as any;
    assert.equal(list.total, 1);
    assert.equal(list.has_more, false);
    const item = list.items[0];
    assert.equal(item.run_id, runId);
    assert.equal(item.content_type, 'text/plain');
    assert.equal(item.size_bytes, big.length);
    assert.deepEqual(item.ref, { $artifact: item.artifact_id, artifact_id: item.artifact_id, content_type: 'text/plain', modality: 'text', run_id: runId, source_path: item.tags.path });
    const meta = (await (await s.api(`/api/gateway/runs/${runId}/artifacts/${item.artifact_id}`)).json()) as any;
    assert.equal(meta.artifact_id, item.artifact_id);
    const content = await s.api(`/api/gateway/runs/${runId}/artifacts/${item.artifact_id}/content`);
    assert.equal(content.headers.get('content-type'), 'text/plain');
    assert.equal(await content.text(), big);
  });

  it('answers unknown runs and artifacts with the details clients recognise', async () => {
    const none = await s.api('/api/gateway/runs/session_memory_obs_1/artifacts?limit=800');
    assert.equal(none.status, 404);
    assert.deepEqual(await none.json(), { detail: "Run 'session_memory_obs_1' not found" });
    const missing = await s.api(`/api/gateway/runs/${runId}/artifacts/abc123/content`);
    assert.deepEqual([missing.status, await missing.json()], [404, { detail: "Artifact 'abc123' not found" }]);
    const invalid = await s.api(`/api/gateway/runs/${runId}/artifacts/a.b/content`);
    assert.equal(invalid.status, 400);
  });

  it('discovery without provider configuration: only the keyless local engines, hosted APIs named as unconfigured', async () => {
    const providers = (await (await s.api('/api/gateway/discovery/providers?include_models=false')).json()) as any;
    assert.deepEqual(providers.items.map((i: any) => i.name), ['lmstudio', 'ollama', 'openai-compatible', 'vllm']);
    assert.equal(providers.default_provider, null);
    const models = (await (await s.api('/api/gateway/discovery/providers/openai/models')).json()) as any;
    assert.deepEqual(models.models, []);
    assert.match(models.error, /set OPENAI_API_KEY/);
  });
});
