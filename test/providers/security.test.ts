// A provider key goes only to the base URL it was configured for (spec security §8 W1): every
// caller-chosen base URL is checked by the egress policy and never receives the server's key.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadProviderSettings } from '../../src/config/providers.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { blockedAddress, checkClientBaseUrl, guardedLookup } from '../../src/providers/url-policy.js';
import { anthropic, openai, startProviderServer, type ProviderServer } from '../helpers/provider-server.js';
import { testRegistry } from './kit.js';

const SECRET = 'sk-server-secret-0123456789';

/** Every header value of every request the server saw. */
const headerValues = (s: ProviderServer) => s.requests.flatMap((r) => Object.values(r.headers).flat().map(String));

describe('egress policy for client-chosen base URLs', () => {
  it('refuses link-local and cloud-metadata addresses under the default policy', () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://169.254.0.1:8080/v1',
      'http://[fd00:ec2::254]/v1',
      'http://[::ffff:169.254.169.254]/v1',
      'http://[fe80::1]/v1',
      'http://metadata.google.internal/computeMetadata/v1',
      'http://METADATA.GOOGLE.INTERNAL./v1',
      'http://100.100.100.200/v1',
      'http://0.0.0.0:1234/v1',
    ]) {
      assert.throws(() => checkClientBaseUrl(url, 'local'), (err: any) => err.code === 'GW_ERR_FORBIDDEN', url);
    }
  });

  it('allows loopback and private networks under `local` (LM Studio, Ollama), refuses them under `public`', () => {
    for (const url of ['http://localhost:1234/v1', 'http://127.0.0.1:11434', 'http://10.0.0.5:8000/v1', 'http://[::1]:1234/v1']) {
      assert.equal(checkClientBaseUrl(url, 'local'), url);
      assert.throws(() => checkClientBaseUrl(url, 'public'), (err: any) => err.code === 'GW_ERR_FORBIDDEN', url);
    }
    assert.equal(checkClientBaseUrl('http://169.254.169.254/v1/', 'any'), 'http://169.254.169.254/v1');
  });

  it('refuses other schemes and URLs carrying credentials', () => {
    assert.throws(() => checkClientBaseUrl('file:///etc/passwd', 'any'), (err: any) => err.code === 'GW_ERR_INVALID');
    assert.throws(() => checkClientBaseUrl('http://user:pw@example.com/v1', 'any'), (err: any) => err.code === 'GW_ERR_INVALID');
    assert.throws(() => checkClientBaseUrl('not a url', 'local'), (err: any) => err.code === 'GW_ERR_INVALID');
  });

  it('checks what a name resolves to at connect time', async () => {
    assert.equal(blockedAddress('127.0.0.1', 'local'), undefined);
    const lookup = guardedLookup('public');
    const err = await new Promise<any>((resolve) => lookup('localhost', { all: false }, (e) => resolve(e)));
    assert.equal(err?.code, 'GW_ERR_FORBIDDEN');
    const ok = await new Promise<any>((resolve) => guardedLookup('local')('localhost', { all: true }, (e, addrs) => resolve(e ?? addrs)));
    assert.ok(Array.isArray(ok) && ok.length > 0);
  });
});

describe('provider keys stay with their configured base URL', () => {
  let configured: ProviderServer;
  let attacker: ProviderServer;
  before(async () => {
    configured = await startProviderServer();
    attacker = await startProviderServer();
  });
  after(async () => {
    await configured.close();
    await attacker.close();
  });

  const registry = (): ProviderRegistry => {
    const r = testRegistry();
    r.add({ id: 'openai', family: 'openai', baseUrl: `${configured.url}/v1`, apiKey: SECRET, baseUrlConfigured: true, keyRequired: true });
    r.add({ id: 'anthropic', family: 'anthropic', baseUrl: configured.url, apiKey: SECRET, baseUrlConfigured: true, keyRequired: true });
    return r;
  };

  it('the configured endpoint gets the key', async () => {
    configured.reply('GET /v1/models', openai.models(['gpt-x']));
    assert.deepEqual(await registry().require('openai').listModels(), ['gpt-x']);
    assert.equal(configured.requests.at(-1)!.headers.authorization, `Bearer ${SECRET}`);
  });

  it('a caller base_url gets no key at all — for chat and for model listing, for both keyed protocols', async () => {
    attacker.reply('GET /v1/models', openai.models(['bait']), anthropic.models(['bait']));
    attacker.reply('POST /v1/chat/completions', openai.text('gotcha'));
    attacker.reply('POST /v1/messages', anthropic.message('gotcha'));
    const r = registry();
    await r.connect('openai', { base_url: `${attacker.url}/v1` }).listModels();
    await r.connect('openai', { base_url: `${attacker.url}/v1` }).chat({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    await r.connect('anthropic', { base_url: attacker.url }).listModels();
    await r.connect('anthropic', { base_url: attacker.url }).chat({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(attacker.requests.length, 4);
    assert.ok(!headerValues(attacker).some((v) => v.includes(SECRET)), 'the server key reached a caller-chosen URL');
    assert.equal(attacker.requests[0]!.headers.authorization, undefined);
    assert.equal(attacker.requests[2]!.headers['x-api-key'], undefined);
  });

  it("a caller's own key goes to the caller's URL, and only that key", async () => {
    attacker.reply('GET /v1/models', openai.models(['m']));
    await registry().connect('openai', { base_url: `${attacker.url}/v1`, api_key: 'caller-key' }).listModels();
    assert.equal(attacker.requests.at(-1)!.headers.authorization, 'Bearer caller-key');
  });

  it('naming the configured URL itself is the configured endpoint (the key may go there)', async () => {
    configured.reply('GET /v1/models', openai.models(['m']));
    await registry().connect('openai', { base_url: `${configured.url}/v1/` }).listModels();
    assert.equal(configured.requests.at(-1)!.headers.authorization, `Bearer ${SECRET}`);
  });

  it('a caller base_url pointing at a metadata address is refused before any request', () => {
    assert.throws(() => registry().connect('openai', { base_url: 'http://169.254.169.254/v1' }), (err: any) => err.code === 'GW_ERR_FORBIDDEN');
  });

  it('keys come only from the parsed environment, never from process.env behind its back', () => {
    const saved = process.env.OPENAI_API_KEY;
    process.env.OPENAI_API_KEY = 'ambient-process-key';
    try {
      const settings = loadProviderSettings({ LMSTUDIO_BASE_URL: 'http://127.0.0.1:9/v1' });
      assert.ok(!settings.connections.some((c) => c.id === 'openai'), 'openai is not configured by the given env');
      assert.throws(() => ProviderRegistry.fromSettings(settings).require('openai'), /not configured: set OPENAI_API_KEY/);
    } finally {
      if (saved === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = saved;
    }
  });
});
