// The media backend client and its routing (providers/media.ts, media-backends.ts) against a
// scripted server: which endpoint answers, which key goes where, byte caps, abort and timeout,
// and the media capability routes (spec discovery §9.4).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMediaSettings, MEDIA_DEFAULTS, type MediaSettings } from '../../src/config/media.js';
import { ConfigError } from '../../src/config/config.js';
import type { ProviderRegistry } from '../../src/providers/registry.js';
import { media, SCRIPTED_PNG, SCRIPTED_WAV, startProviderServer, type ProviderServer } from '../helpers/provider-server.js';
import { testRegistry } from './kit.js';

const SERVER_KEY = 'sk-server-key-0123456789';
const CORE_TOKEN = 'core-token-0123456789';
const image = { prompt: 'a fox', spec: { modality: 'image', task: 'image_generation', format: 'png' } };

/** A registry with `openai` at the scripted server (its key set) and an optional Core server. */
function registry(server: ProviderServer, media: Partial<MediaSettings> = {}): ProviderRegistry {
  const r = testRegistry({ maxRetries: 0, media: { ...MEDIA_DEFAULTS, ...media } });
  r.add({ id: 'openai', family: 'openai', baseUrl: `${server.url}/v1`, apiKey: SERVER_KEY, baseUrlConfigured: true, keyRequired: true });
  r.add({ id: 'ollama', family: 'ollama', baseUrl: 'http://127.0.0.1:11434', baseUrlConfigured: false, keyRequired: false });
  return r;
}

describe('media backend routing', () => {
  let server: ProviderServer;
  before(async () => {
    server = await startProviderServer();
  });
  after(() => server.close());

  it('with nothing configured, names both settings; a named provider names the Core server', () => {
    const bare = testRegistry();
    assert.throws(() => bare.media.choose({ task: 'tts' }), (e: any) => e.code === 'GW_ERR_NOT_CONFIGURED' && /set ABSTRACTCORE_SERVER_BASE_URL .* or OPENAI_API_KEY/.test(e.message));
    assert.throws(() => bare.media.choose({ task: 'tts', provider: 'audiodit' }), /Media provider 'audiodit' \(tts\) is served through an AbstractCore-compatible media server: set ABSTRACTCORE_SERVER_BASE_URL/);
    assert.throws(() => registry(server).media.choose({ task: 'image_generation', provider: 'ollama' }), /Provider 'ollama' has no media API/);
  });

  it('the Core server serves every provider, with its token; a caller key rides along as the provider key', async () => {
    const r = registry(server, { core: { root: server.url, token: CORE_TOKEN } });
    server.reply('POST /v1/images/generations', media.images(SCRIPTED_PNG), media.images(SCRIPTED_PNG));
    const before = server.requests.length;
    const [png] = await r.media.choose({ task: 'image_generation', provider: 'huggingface' }).generateImages({ ...image, provider: 'huggingface' });
    assert.deepEqual(png, { bytes: SCRIPTED_PNG, content_type: 'image/png', format: 'png' });
    await r.media.choose({ task: 'image_generation', api_key: 'caller-key' }).generateImages(image);
    const [plain, withKey] = server.requests.slice(before);
    assert.equal(plain.headers.authorization, `Bearer ${CORE_TOKEN}`);
    assert.equal(plain.body.provider, 'huggingface');
    assert.equal(withKey.headers.authorization, `Bearer ${CORE_TOKEN}`);
    assert.equal(withKey.headers['x-abstractcore-provider-api-key'], 'caller-key');
    assert.ok(!JSON.stringify([plain.headers, withKey.headers]).includes(SERVER_KEY), 'the OpenAI key stays with OpenAI');
  });

  it('a base_url equal to a configured endpoint is that endpoint; any other gets no server key', async () => {
    const r = registry(server, { core: { root: server.url, token: CORE_TOKEN } });
    assert.equal(r.media.choose({ task: 'tts', base_url: `${server.url}/v1/` }).dialect, 'abstractcore');
    const other = r.media.choose({ task: 'tts', base_url: `http://localhost:${new URL(server.url).port}/v1` });
    assert.equal(other.dialect, 'openai');
    server.reply('POST /v1/audio/speech', media.speech(SCRIPTED_WAV));
    const before = server.requests.length;
    await other.speech({ prompt: 'hi', spec: { format: 'wav' } });
    const sent = server.requests[before]!;
    assert.equal(sent.headers.authorization, undefined);
    assert.equal(sent.headers['x-abstractcore-provider-api-key'], undefined);
    assert.throws(() => r.media.choose({ task: 'tts', base_url: 'http://[fd00:ec2::254]/v1' }), (e: any) => e.code === 'GW_ERR_FORBIDDEN');
  });

  it('without a Core server, `openai` answers with its key, or the caller key instead', async () => {
    const r = registry(server);
    server.reply('POST /v1/images/generations', media.images(SCRIPTED_PNG), media.images(SCRIPTED_PNG));
    const before = server.requests.length;
    await r.media.choose({ task: 'image_generation' }).generateImages({ ...image, model: 'sd-turbo', spec: { ...image.spec, width: 512, count: 1 } });
    await r.media.choose({ task: 'image_generation', provider: 'openai', api_key: 'caller-key' }).generateImages(image);
    const [server1, caller] = server.requests.slice(before);
    assert.equal(server1.headers.authorization, `Bearer ${SERVER_KEY}`);
    assert.deepEqual(server1.body, { prompt: 'a fox', response_format: 'b64_json', width: 512, n: 1, model: 'sd-turbo' }, 'a non-OpenAI model gets every control');
    assert.equal(caller.headers.authorization, 'Bearer caller-key');
  });
});

describe('media client answers', () => {
  let server: ProviderServer;
  before(async () => {
    server = await startProviderServer();
  });
  after(() => server.close());

  it('caps image and audio answers, and refuses URL answers instead of fetching them', async () => {
    const r = registry(server, { imageMaxBytes: 16, audioMaxBytes: 16 });
    const client = r.media.choose({ task: 'image_generation' });
    server.reply('POST /v1/images/generations', media.images(SCRIPTED_PNG), { json: { data: [{ url: 'http://169.254.169.254/x.png' }] } });
    await assert.rejects(client.generateImages(image), /generated image is too large \(35 bytes, ABSTRACTGATEWAY_IMAGE_MAX_BYTES=16\)/);
    await assert.rejects(client.generateImages(image), /data\[0\] has no b64_json \(URL answers are not fetched\)/);
    server.reply('POST /v1/audio/speech', media.speech(SCRIPTED_WAV));
    await assert.rejects(client.speech({ prompt: 'hi', spec: {} }), /larger than 16 bytes/);
  });

  it('a cancelled run aborts the request; a silent backend times out', async () => {
    const client = registry(server, { timeoutMs: 200 }).media.choose({ task: 'tts' });
    server.reply('POST /v1/audio/speech', { hang: true }, { hang: true });
    const before = server.requests.length;
    const abort = new AbortController();
    const call = client.speech({ prompt: 'hi', spec: {}, signal: abort.signal });
    const [request] = (await server.waitForRequests(before + 1)).slice(before);
    abort.abort(new Error('run cancelled'));
    await assert.rejects(call, /run cancelled/);
    await request!.clientClosed;
    await assert.rejects(client.speech({ prompt: 'hi', spec: {} }), (e: any) => e.code === 'GW_ERR_UPSTREAM_TIMEOUT');
  });
});

describe('media provider/model resolution (capability routes)', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'media-routes-'));
    await mkdir(join(dataDir, 'config'));
    const routes = { 'output.image': { provider: 'huggingface', model: 'generic' }, 'output.image.text_to_image': { provider: 'diffusers', model: 'sdxl' } };
    await writeFile(join(dataDir, 'config', 'abstractcore.json'), JSON.stringify({ capability_defaults: { version: 1, routes } }));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('task route, then modality route; a node provider keeps the route model only when it is the route provider', async () => {
    const r = testRegistry();
    const routes = ['output.image.text_to_image', 'output.image'];
    assert.deepEqual(await r.resolveMedia(dataDir, {}, routes), { provider: 'diffusers', model: 'sdxl' });
    assert.deepEqual(await r.resolveMedia(dataDir, {}, ['output.image']), { provider: 'huggingface', model: 'generic' });
    assert.deepEqual(await r.resolveMedia(dataDir, { provider: 'openai' }, routes), { provider: 'openai', model: undefined });
    assert.deepEqual(await r.resolveMedia(dataDir, { provider: 'Diffusers' }, routes), { provider: 'diffusers', model: 'sdxl' });
    assert.deepEqual(await r.resolveMedia(dataDir, {}, ['output.voice']), { provider: undefined, model: undefined });
  });
});

describe('media settings', () => {
  it('strips /v1 from the Core URL, takes the first Core token, clamps the image cap', () => {
    const s = loadMediaSettings({
      ABSTRACTCORE_SERVER_BASE_URL: 'http://core:8000/v1/',
      ABSTRACTCORE_AUTH_TOKEN: 'third',
      ABSTRACTGATEWAY_ABSTRACTCORE_SERVER_API_KEY: 'second',
      ABSTRACTCORE_IMAGE_MAX_BYTES: '900000000',
    });
    assert.deepEqual(s.core, { root: 'http://core:8000', token: 'second' });
    assert.equal(s.imageMaxBytes, 200_000_000);
    assert.equal(loadMediaSettings({}).core, undefined);
    assert.throws(() => loadMediaSettings({ ABSTRACTCORE_SERVER_BASE_URL: 'ftp://core' }), ConfigError);
    assert.throws(() => loadMediaSettings({ ABSTRACTGATEWAY_MEDIA_TIMEOUT_S: 'soon' }), /ABSTRACTGATEWAY_MEDIA_TIMEOUT_S must be a positive number/);
  });
});
