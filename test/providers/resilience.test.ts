// Retries, Retry-After, timeouts, the concurrency limit and abort, against a real local server.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { retryAfterMs } from '../../src/providers/http-client.js';
import { anthropic, ollama, openai, startProviderServer, type ProviderServer } from '../helpers/provider-server.js';
import { waitUntil } from '../helpers/processes.js';
import { testProvider } from './kit.js';

const ask = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('provider resilience', () => {
  let server: ProviderServer;
  before(async () => (server = await startProviderServer()));
  after(() => server.close());

  const lmstudio = (over = {}) => testProvider({ id: 'lmstudio', family: 'openai', baseUrl: `${server.url}/v1` }, over);

  it('429 with Retry-After: 1 is retried after at least that long, then succeeds', async () => {
    const before = server.requests.length;
    server.reply('POST /v1/chat/completions', { status: 429, headers: { 'retry-after': '1' }, json: { error: { message: 'slow down' } } }, openai.text('ok'));
    const r = await lmstudio().chat(ask);
    assert.equal(r.content, 'ok');
    const [first, second] = server.requests.slice(before);
    assert.ok(first && second, 'two attempts reached the server');
    // A lower bound only: honouring the header means the retry cannot come sooner.
    assert.ok(second.at - first.at >= 950, `retried after ${second.at - first.at} ms, Retry-After asked for 1000`);
  });

  it('5xx without Retry-After is retried with backoff; the retry count is bounded', async () => {
    server.reply('POST /v1/chat/completions', { status: 503, json: { error: 'busy' } }, openai.text('second time'));
    assert.equal((await lmstudio().chat(ask)).content, 'second time');
    const before = server.requests.length;
    server.reply('POST /v1/chat/completions', ...Array.from({ length: 3 }, () => ({ status: 500, json: { error: { message: 'boom' } } })));
    await assert.rejects(lmstudio({ maxRetries: 2 }).chat(ask), (err: any) => err.code === 'GW_ERR_UPSTREAM' && /HTTP 500 .*boom/.test(err.message));
    assert.equal(server.requests.length - before, 3, 'one attempt plus two retries');
  });

  it('a Retry-After beyond 60 s is not waited for: the 429 is the answer', async () => {
    const before = server.requests.length;
    server.reply('POST /v1/chat/completions', { status: 429, headers: { 'retry-after': '3600' }, json: { error: { message: 'quota exhausted' } } });
    await assert.rejects(lmstudio().chat(ask), /HTTP 429 .*quota exhausted/);
    assert.equal(server.requests.length - before, 1);
  });

  it('a client error (400) is not retried and carries the provider message', async () => {
    const before = server.requests.length;
    server.reply('POST /v1/chat/completions', { status: 400, json: { error: { message: 'model not loaded' } } });
    await assert.rejects(lmstudio().chat(ask), (err: any) => err.code === 'GW_ERR_UPSTREAM' && err.message.includes('model not loaded'));
    assert.equal(server.requests.length - before, 1);
  });

  it('a cancel while waiting out Retry-After ends the call with its reason and sends no retry', async () => {
    const before = server.requests.length;
    server.reply('POST /v1/chat/completions', { status: 429, headers: { 'retry-after': '30' }, json: { error: 'later' } });
    const controller = new AbortController();
    const call = lmstudio().chat({ ...ask, signal: controller.signal });
    await server.waitForRequests(before + 1);
    await waitUntil(() => server.open === 0, 'the 429 to be sent in full'); // the client is now (about to be) waiting 30 s
    controller.abort(new Error('run cancelled during backoff'));
    await assert.rejects(call, /run cancelled during backoff/);
    assert.equal(server.requests.length - before, 1);
  });

  it('reads Retry-After as seconds, as an HTTP date, and retry-after-ms', () => {
    assert.equal(retryAfterMs({ 'retry-after': '2' }), 2000);
    assert.equal(retryAfterMs({ 'retry-after-ms': '150' }), 150);
    assert.equal(retryAfterMs({ 'retry-after': new Date(10_000 + 3_000).toUTCString() }, 10_000), 3000);
    assert.equal(retryAfterMs({ 'retry-after': 'soon' }), undefined);
  });

  for (const [name, make, reply, route] of [
    ['openai', () => lmstudio(), openai.stream(['partial'], { hold: true }), 'POST /v1/chat/completions'],
    ['anthropic', () => testProvider({ id: 'anthropic', family: 'anthropic', baseUrl: server.url, apiKey: 'k' }), anthropic.stream(['partial'], { hold: true }), 'POST /v1/messages'],
    ['ollama', () => testProvider({ id: 'ollama', family: 'ollama', baseUrl: server.url }), ollama.stream(['partial'], { hold: true }), 'POST /api/chat'],
  ] as const) {
    it(`${name}: aborting mid-stream closes the connection the server sees, and rejects with the abort reason`, async () => {
      server.reply(route, reply);
      const controller = new AbortController();
      const before = server.requests.length;
      let resolveFirst!: () => void;
      const firstDelta = new Promise<void>((r) => (resolveFirst = r));
      const call = make().chat({ ...ask, onDelta: () => resolveFirst(), signal: controller.signal });
      await firstDelta;
      controller.abort(new Error('run cancelled'));
      await assert.rejects(call, /run cancelled/);
      const [req] = await server.waitForRequests(before + 1).then((all) => all.slice(before));
      await req!.clientClosed; // resolves only if the socket closed before the answer completed
    });
  }

  it('the concurrency limit holds extra calls back, and an aborted waiter never reaches the server', async () => {
    const provider = lmstudio({ concurrency: 1 });
    const before = server.requests.length;
    server.reply('POST /v1/chat/completions', openai.stream(['x'], { hold: true }), openai.text('third'));
    const first = new AbortController();
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const call1 = provider.chat({ ...ask, onDelta: () => started(), signal: first.signal });
    await running;
    const waiting = new AbortController();
    const call2 = provider.chat({ ...ask, signal: waiting.signal });
    const call3 = provider.chat(ask);
    waiting.abort(new Error('cancelled while queued'));
    await assert.rejects(call2, /cancelled while queued/);
    assert.equal(server.requests.length - before, 1, 'only the first call is in flight');
    first.abort(new Error('done with the first'));
    await assert.rejects(call1, /done with the first/);
    assert.equal((await call3).content, 'third');
    assert.equal(server.requests.length - before, 2, 'the aborted waiter never sent a request');
  });

  it('a provider that never answers times out with a coded error, and the connection is closed', async () => {
    server.reply('POST /v1/chat/completions', { hang: true });
    const before = server.requests.length;
    await assert.rejects(lmstudio({ timeoutMs: 200, maxRetries: 0 }).chat(ask), (err: any) => err.code === 'GW_ERR_UPSTREAM_TIMEOUT' && /within 0.2 s/.test(err.message));
    await server.requests[before]!.clientClosed;
  });

  it('an unreachable provider fails fast with a message naming its URL', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const p = testProvider({ id: 'lmstudio', family: 'openai', baseUrl: `http://127.0.0.1:${port}/v1` });
    await assert.rejects(p.chat(ask), (err: any) => err.code === 'GW_ERR_UPSTREAM' && err.message.includes(`cannot reach http://127.0.0.1:${port}/v1 (ECONNREFUSED)`));
  });

  it('keeps no request open after the calls above', async () => {
    await waitUntil(() => server.open === 0, 'all provider requests to finish');
  });
});
