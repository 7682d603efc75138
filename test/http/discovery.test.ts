// Discovery routes over real sockets (spec discovery §2.5–§2.7): configured providers, models read
// live from a scripted provider, the catalog envelope, and key exfiltration attempts.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer, TEST_TOKEN, type TestServer } from '../helpers/http.js';
import { anthropic, ollama, openai, startProviderServer, type ProviderServer } from '../helpers/provider-server.js';

const SECRET = 'sk-operator-secret-abcdef0123';

describe('discovery routes', () => {
  let provider: ProviderServer;
  let attacker: ProviderServer;
  let gw: TestServer;
  before(async () => {
    provider = await startProviderServer();
    attacker = await startProviderServer();
    gw = await startServer({
      env: {
        LMSTUDIO_BASE_URL: `${provider.url}/v1`,
        OLLAMA_BASE_URL: provider.url,
        VLLM_BASE_URL: `${provider.url}/vllm/v1`,
        OPENAI_COMPATIBLE_BASE_URL: `${provider.url}/compat/v1`,
        OPENAI_API_KEY: SECRET,
        OPENAI_BASE_URL: `${provider.url}/openai/v1`,
        ABSTRACTGATEWAY_PROVIDER_MAX_RETRIES: '0',
      },
    });
  });
  after(async () => {
    await gw.close();
    await provider.close();
    await attacker.close();
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await gw.api(`/api/gateway${path}`, { headers });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('GET /discovery/providers lists the configured providers in the catalog envelope, with no key in it', async () => {
    const { status, body } = await get('/discovery/providers');
    assert.equal(status, 200);
    assert.deepEqual(body.items.map((i: any) => i.name), ['lmstudio', 'ollama', 'openai', 'openai-compatible', 'vllm']);
    const openaiItem = body.items.find((i: any) => i.name === 'openai');
    assert.deepEqual(
      [openaiItem.id, openaiItem.provider, openaiItem.label, openaiItem.provider_family, openaiItem.api_key_set, openaiItem.virtual],
      ['openai', 'openai', 'openai', 'openai', true, false],
    );
    assert.ok(!JSON.stringify(body).includes(SECRET), 'the key must not appear in discovery');
    assert.deepEqual(
      body.unconfigured_providers.map((u: any) => u.name),
      ['anthropic', 'openrouter'],
    );
    assert.equal(body.default_provider, null);
    assert.equal(body.default_model, null);
    assert.match(body.default_error, /No provider\/model is configured/);
    assert.equal(body.source, 'abstractruntime.discovery_facade');
    assert.deepEqual(
      { contract: body.catalog.contract, kind: body.catalog.kind, scope: body.catalog.scope, source: body.catalog.source, available: body.catalog.available },
      { contract: 'gateway_catalog_v1', kind: 'providers', scope: 'text', source: 'abstractgateway.catalog', available: true },
    );
  });

  it('include_models=true reads each provider live; an unreachable one is listed with its error', async () => {
    provider.reply('GET /v1/models', openai.models(['qwen3-4b', 'gemma']));
    provider.reply('GET /api/tags', ollama.tags(['llama3:8b']));
    provider.reply('GET /openai/v1/models', openai.models(['gpt-x']));
    const { body } = await get('/discovery/providers?include_models=true');
    const by = Object.fromEntries(body.items.map((i: any) => [i.name, i]));
    assert.deepEqual(by.lmstudio.models, ['gemma', 'qwen3-4b']);
    assert.deepEqual(by.ollama.models, ['llama3:8b']);
    assert.deepEqual(by.openai.models, ['gpt-x']);
    assert.equal(by.vllm.status, 'unavailable');
    assert.match(by.vllm.error, /HTTP 404/);
    assert.equal(body.catalog.include_models, true);
  });

  it('the capability default, then the environment, supply the discovery default', async () => {
    await mkdir(join(gw.dataDir, 'config'), { recursive: true });
    await writeFile(join(gw.dataDir, 'config', 'abstractcore.json'), JSON.stringify({ capability_defaults: { routes: { 'input.text': { provider: 'LMStudio', model: 'qwen3-4b' } } } }));
    const { body } = await get('/discovery/providers');
    assert.deepEqual([body.default_provider, body.default_model, body.default_source], ['lmstudio', 'qwen3-4b', 'abstractcore.capability_defaults']);
    const envOnly = await startServer({ env: { ABSTRACTGATEWAY_PROVIDER: 'ollama', ABSTRACTGATEWAY_MODEL: 'llama3', OLLAMA_BASE_URL: provider.url } });
    try {
      const res = (await (await envOnly.api('/api/gateway/discovery/providers')).json()) as any;
      assert.deepEqual([res.default_provider, res.default_model, res.default_source], ['ollama', 'llama3', 'environment']);
    } finally {
      await envOnly.close();
    }
  });

  it('GET /discovery/providers/{p}/models reads the endpoint live', async () => {
    provider.reply('GET /v1/models', openai.models(['b-model', 'a-model']));
    const { status, body } = await get('/discovery/providers/LMStudio/models?capability_route=output.text');
    assert.equal(status, 200);
    assert.deepEqual(body.models, ['a-model', 'b-model']);
    assert.deepEqual(body.items, [
      { id: 'a-model', label: 'a-model', provider: 'lmstudio' },
      { id: 'b-model', label: 'b-model', provider: 'lmstudio' },
    ]);
    assert.equal(body.provider, 'lmstudio');
    assert.equal(body.available, true);
    assert.deepEqual([body.catalog.kind, body.catalog.provider], ['models', 'lmstudio']);
  });

  it('a provider lacking its key, or unknown, answers 200 with the reason (never 5xx)', async () => {
    const missing = await get('/discovery/providers/anthropic/models');
    assert.equal(missing.status, 200);
    assert.deepEqual(missing.body.models, []);
    assert.equal(missing.body.available, false);
    assert.match(missing.body.error, /not configured: set ANTHROPIC_API_KEY/);
    const unknown = await get('/discovery/providers/nope/models');
    assert.equal(unknown.status, 200);
    assert.match(unknown.body.error, /Unknown LLM provider 'nope'/);
  });

  it('an upstream failure is a 502 carrying the provider message', async () => {
    provider.reply('GET /openai/v1/models', { status: 401, json: { error: { message: 'Incorrect API key provided' } } });
    const { status, body } = await get('/discovery/providers/openai/models');
    assert.equal(status, 502);
    assert.match(body.detail, /HTTP 401 .*Incorrect API key provided/);
  });

  it('exfiltration: a caller base_url never receives the operator key (with or without a caller key)', async () => {
    attacker.reply('GET /v1/models', openai.models(['bait']), openai.models(['bait']));
    attacker.reply('GET /v1/models', anthropic.models(['bait']));
    const plain = await get(`/discovery/providers/openai/models?base_url=${encodeURIComponent(`${attacker.url}/v1`)}`);
    assert.deepEqual(plain.body.models, ['bait']);
    await get(`/discovery/providers/openai/models?base_url=${encodeURIComponent(`${attacker.url}/v1`)}`, { 'X-Provider-API-Key': 'callers-own' });
    await get(`/discovery/providers/anthropic/models?base_url=${encodeURIComponent(attacker.url)}`);
    assert.equal(attacker.requests.length, 3);
    const seen = attacker.requests.flatMap((r) => Object.values(r.headers).flat().map(String));
    assert.ok(!seen.some((v) => v.includes(SECRET)), 'the operator key reached the caller-chosen URL');
    assert.ok(!seen.some((v) => v.includes(TEST_TOKEN)), "the gateway's own bearer token reached the caller-chosen URL");
    assert.equal(attacker.requests[0]!.headers.authorization, undefined);
    assert.equal(attacker.requests[1]!.headers.authorization, 'Bearer callers-own');
  });

  it('exfiltration/SSRF: metadata base URLs are refused with 403 before any request', async () => {
    for (const url of ['http://169.254.169.254/latest', 'http://metadata.google.internal/v1', 'http://[fd00:ec2::254]/v1']) {
      const { status, body } = await get(`/discovery/providers/openai/models?base_url=${encodeURIComponent(url)}`);
      assert.equal(status, 403, url);
      assert.match(body.detail, /refused/);
    }
    const bad = await get(`/discovery/providers/openai/models?base_url=${encodeURIComponent('file:///etc/passwd')}`);
    assert.equal(bad.status, 400);
  });

  it('GET /discovery/models/capabilities answers honestly empty; model_name is required', async () => {
    const { status, body } = await get('/discovery/models/capabilities?model_name=qwen3-4b');
    assert.equal(status, 200);
    assert.equal(body.model, 'qwen3-4b');
    assert.deepEqual(body.capabilities, {});
    assert.match(body.error, /No model capability catalog/);
    assert.equal((await get('/discovery/models/capabilities')).status, 422);
    assert.equal((await get('/discovery/models/capabilities?model_name=%20')).status, 400);
  });
});
