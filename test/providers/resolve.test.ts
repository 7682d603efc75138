// Provider/model resolution (spec §7.1) and provider settings from the environment.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/config.js';
import { loadProviderSettings } from '../../src/config/providers.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { readTextCapabilityDefault, resolveModel } from '../../src/providers/resolve.js';

describe('model resolution', () => {
  it('takes the first layer naming a provider: node, then run input, then capability default, then environment', () => {
    const env = { provider: 'ollama', model: 'llama3' };
    const cap = { provider: 'lmstudio', model: 'qwen' };
    assert.deepEqual(resolveModel({ environment: env }), { provider: 'ollama', model: 'llama3', source: 'environment' });
    assert.deepEqual(resolveModel({ capability: cap, environment: env }), { provider: 'lmstudio', model: 'qwen', source: 'capability_defaults' });
    assert.deepEqual(resolveModel({ run: { provider: 'OpenAI', model: 'gpt' }, capability: cap }), { provider: 'openai', model: 'gpt', source: 'run' });
    assert.deepEqual(resolveModel({ node: { provider: 'anthropic', model: 'claude' }, run: { provider: 'openai', model: 'gpt' } }), { provider: 'anthropic', model: 'claude', source: 'node' });
  });

  it("never takes a model that belongs to another layer's different provider", () => {
    // The node names ollama without a model; the run's model is for lmstudio, the environment's for ollama.
    const choice = resolveModel({ node: { provider: 'ollama' }, run: { provider: 'lmstudio', model: 'qwen' }, environment: { provider: 'ollama', model: 'llama3' } });
    assert.deepEqual(choice, { provider: 'ollama', model: 'llama3', source: 'node' });
    // A model alone (no provider in its layer) joins the provider found later.
    assert.deepEqual(resolveModel({ node: { model: 'qwen' }, environment: { provider: 'lmstudio' } }), { provider: 'lmstudio', model: 'qwen', source: 'environment' });
  });

  it('treats "default" spellings and blanks as unset', () => {
    assert.deepEqual(resolveModel({ node: { provider: '__default__', model: ' ' }, environment: { provider: 'ollama', model: 'x' } }).source, 'environment');
  });

  it('with nothing configured, fails with an error naming every place to configure', () => {
    assert.throws(() => resolveModel({}), (err: any) => err.code === 'GW_ERR_NOT_CONFIGURED' && /ABSTRACTGATEWAY_PROVIDER and ABSTRACTGATEWAY_MODEL/.test(err.message) && /capability default/.test(err.message));
    assert.throws(() => resolveModel({ node: { provider: 'ollama' } }), /No model is configured for LLM provider 'ollama'/);
  });

  it('reads the text capability default from <data>/config/abstractcore.json, live', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agw-cap-'));
    try {
      assert.equal(await readTextCapabilityDefault(dir), undefined);
      await mkdir(join(dir, 'config'));
      await writeFile(join(dir, 'config', 'abstractcore.json'), JSON.stringify({ capability_defaults: { version: 1, routes: { 'input.text': { provider: 'lmstudio', model: 'qwen3' } } } }));
      const registry = new ProviderRegistry({ timeoutMs: 1000, maxRetries: 0, concurrency: 1, urlPolicy: 'local', modelsTimeoutMs: 1000, envDefault: { provider: 'ollama', model: 'x' } });
      assert.deepEqual(await registry.resolveModel(dir, {}), { provider: 'lmstudio', model: 'qwen3', source: 'capability_defaults' });
      await writeFile(join(dir, 'config', 'abstractcore.json'), '{broken');
      await assert.rejects(readTextCapabilityDefault(dir), (err: any) => err.code === 'GW_ERR_NOT_CONFIGURED');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('provider settings from the environment', () => {
  it('local engines are usable at their documented defaults; hosted APIs only with their key', () => {
    const s = loadProviderSettings({});
    assert.deepEqual(s.connections.map((c) => c.id).sort(), ['lmstudio', 'ollama', 'openai-compatible', 'vllm']);
    assert.equal(s.connections.find((c) => c.id === 'lmstudio')!.baseUrl, 'http://localhost:1234/v1');
    assert.deepEqual(s.unconfigured.map((u) => u.id).sort(), ['anthropic', 'openai', 'openrouter']);
    assert.deepEqual(s.envDefault, { provider: undefined, model: undefined });
    assert.equal(s.modelsTimeoutMs, 30_000);
    assert.equal(s.urlPolicy, 'local');
  });

  it('reads base URLs, keys, OLLAMA_HOST without a scheme, and clamps the discovery timeout', () => {
    const s = loadProviderSettings({
      OPENAI_API_KEY: 'k1',
      OPENAI_BASE_URL: 'http://proxy:8080/v1/',
      OLLAMA_HOST: '10.0.0.2:11434',
      ABSTRACTGATEWAY_PROVIDER_MODELS_TIMEOUT_S: '500',
      ABSTRACTGATEWAY_PROVIDER: 'LMStudio',
      ABSTRACTGATEWAY_MODEL: 'qwen',
      ABSTRACTGATEWAY_ALLOW_PRIVATE_PROVIDER_URLS: '1',
    });
    const openai = s.connections.find((c) => c.id === 'openai')!;
    assert.deepEqual([openai.baseUrl, openai.apiKey, openai.baseUrlConfigured], ['http://proxy:8080/v1', 'k1', true]);
    assert.equal(s.connections.find((c) => c.id === 'ollama')!.baseUrl, 'http://10.0.0.2:11434');
    assert.equal(s.modelsTimeoutMs, 60_000);
    assert.deepEqual(s.envDefault, { provider: 'lmstudio', model: 'qwen' });
    assert.equal(s.urlPolicy, 'any');
  });

  it('bad values are startup errors', () => {
    assert.throws(() => loadProviderSettings({ LMSTUDIO_BASE_URL: 'ftp://x' }), ConfigError);
    assert.throws(() => loadProviderSettings({ ABSTRACTGATEWAY_PROVIDER_URL_POLICY: 'open' }), ConfigError);
    assert.throws(() => loadProviderSettings({ ABSTRACTGATEWAY_PROVIDER_CONCURRENCY: '0' }), ConfigError);
  });
});
