// Security baseline over real sockets: auth + lockout, origin/CORS, body caps, concurrency and
// rate limits, request ids, audit log, bootstrap token, dev switches.

import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureAuthTokens, loadSecurityConfig } from '../../src/config/security.js';
import { buildApp } from '../../src/http/app.js';
import { AuditLog } from '../../src/http/security/audit.js';
import { tokenFingerprint } from '../../src/http/security/auth.js';
import { originAllowlist } from '../../src/http/security/origin.js';
import type { GatewayApp } from '../../src/http/types.js';
import { startServer, TEST_TOKEN, type TestServer } from '../helpers/http.js';

const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };

/** Test-only routes: an echo write that counts handler runs, a principal probe, gated slow reads. */
function testRoutes(state: { writes: number; gate?: Promise<void>; entered?: () => void }) {
  return (app: GatewayApp) => {
    app.post('/api/gateway/test/echo', async (req) => {
      state.writes++;
      return { ok: true, body: req.body ?? null };
    });
    app.post('/api/gateway/test/attachments/upload', async () => ({ ok: true }));
    app.get('/api/gateway/test/whoami', async (req) => ({ principal: req.principal }));
    for (const path of ['/api/gateway/test/slow', '/api/gateway/test/ledger/stream']) {
      app.get(path, async () => {
        state.entered?.();
        await state.gate;
        return { ok: true };
      });
    }
  };
}

async function withServer(env: Record<string, string | undefined>, fn: (s: TestServer, state: { writes: number; gate?: Promise<void>; entered?: () => void }) => Promise<void>) {
  const state: { writes: number; gate?: Promise<void>; entered?: () => void } = { writes: 0 };
  const s = await startServer({ env, beforeListen: testRoutes(state) });
  try {
    await fn(s, state);
  } finally {
    await s.close();
  }
}

/** A POST with a chunked body (no Content-Length), over a raw socket. */
function postChunked(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 1024) req.write(body.slice(i, i + 1024));
    req.end();
  });
}

async function auditLines(dataDir: string, until: (lines: any[]) => boolean): Promise<any[]> {
  for (let i = 0; i < 100; i++) {
    const text = await readFile(join(dataDir, 'audit_log.jsonl'), 'utf8').catch(() => '');
    const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    if (until(lines)) return lines;
    await sleep(20);
  }
  throw new Error('audit log did not get the expected lines');
}

describe('authentication', () => {
  it('keeps /api/health public and requires the bearer token under /api/gateway', async () => {
    await withServer({}, async (s) => {
      const health = await fetch(`${s.url}/api/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'healthy', service: 'abstractgateway' });

      const anon = await fetch(`${s.url}/api/gateway/ping`);
      assert.equal(anon.status, 401);
      assert.equal(anon.headers.get('www-authenticate'), 'Bearer');
      assert.match(anon.headers.get('content-type')!, /^application\/json/);
      assert.deepEqual(await anon.json(), { detail: 'Unauthorized' });

      assert.equal((await s.api('/api/gateway/ping')).status, 200);
      assert.equal((await fetch(`${s.url}/api/gateway/ping`, { headers: { authorization: `bearer   ${TEST_TOKEN}  ` } })).status, 200);
    });
  });

  it('compares tokens in constant time: wrong same-length, different-length and non-ASCII tokens are 401, never 500', async () => {
    await withServer({ ABSTRACTGATEWAY_LOCKOUT_AFTER: '100' }, async (s) => {
      const sameLength = TEST_TOKEN.slice(0, -1) + (TEST_TOKEN.endsWith('f') ? 'e' : 'f');
      for (const token of [sameLength, 'short', TEST_TOKEN + 'x', 'tökén-ümlaut']) {
        const r = await fetch(`${s.url}/api/gateway/ping`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(r.status, 401, token);
      }
      // Every configured token is accepted (ABSTRACTGATEWAY_AUTH_TOKENS adds more).
      assert.equal((await s.api('/api/gateway/ping')).status, 200);
    });
    await withServer({ ABSTRACTGATEWAY_AUTH_TOKENS: 'second-token-abcdefghijklmnop, third-token-abcdefghijklmnop' }, async (s) => {
      for (const t of [TEST_TOKEN, 'second-token-abcdefghijklmnop', 'third-token-abcdefghijklmnop']) {
        assert.equal((await fetch(`${s.url}/api/gateway/ping`, { headers: { authorization: `Bearer ${t}` } })).status, 200);
      }
    });
  });

  it('locks an IP out after 5 failed tokens (429 + Retry-After), refuses even a valid token while locked, and a success clears it', async () => {
    await withServer({}, async (s) => {
      const wrong = { authorization: 'Bearer wrong-token-0123456789abcdef' };
      for (let i = 1; i <= 4; i++) assert.equal((await fetch(`${s.url}/api/gateway/ping`, { headers: wrong })).status, 401, `failure ${i}`);
      const fifth = await fetch(`${s.url}/api/gateway/ping`, { headers: wrong });
      assert.equal(fifth.status, 429);
      assert.equal(fifth.headers.get('retry-after'), '1');
      assert.deepEqual(await fifth.json(), { detail: 'Too Many Requests (auth lockout)' });
      assert.ok(fifth.headers.get('x-request-id'));

      const lockedValid = await s.api('/api/gateway/ping');
      assert.equal(lockedValid.status, 429, 'the lockout is checked before authentication');

      await sleep(1100);
      assert.equal((await s.api('/api/gateway/ping')).status, 200);
      // The success reset the count: the next failure is a plain 401 again.
      assert.equal((await fetch(`${s.url}/api/gateway/ping`, { headers: wrong })).status, 401);
    });
  });

  it('does not count requests without any credentials towards the lockout', async () => {
    await withServer({}, async (s) => {
      for (let i = 0; i < 8; i++) assert.equal((await fetch(`${s.url}/api/gateway/ping`)).status, 401);
      assert.equal((await s.api('/api/gateway/ping')).status, 200);
    });
  });

  it('covers /api/gateway with a segment boundary and cannot be bypassed by percent-encoding', async () => {
    await withServer({}, async (s) => {
      assert.equal((await fetch(`${s.url}/api/gatewayX`)).status, 404);
      assert.equal((await fetch(`${s.url}/api/%67ateway/ping`)).status, 401);
      assert.equal((await fetch(`${s.url}/api/gateway/no-such-route`)).status, 401);
    });
  });

  it('attaches the local-admin principal with the token fingerprint', async () => {
    await withServer({}, async (s) => {
      const { principal } = (await (await s.api('/api/gateway/test/whoami')).json()) as any;
      assert.equal(principal.userId, 'local-admin');
      assert.deepEqual(principal.roles, ['admin', 'user']);
      assert.equal(principal.tokenFingerprint, tokenFingerprint(TEST_TOKEN));
    });
  });
});

describe('request ids', () => {
  it('puts x-request-id on successes and errors, echoing a sane incoming id only', async () => {
    await withServer({}, async (s) => {
      const ok = await s.api('/api/gateway/ping');
      assert.match(ok.headers.get('x-request-id')!, /^[0-9a-f]{32}$/);
      const err = await fetch(`${s.url}/api/gateway/ping`);
      assert.match(err.headers.get('x-request-id')!, /^[0-9a-f]{32}$/);
      assert.notEqual(ok.headers.get('x-request-id'), err.headers.get('x-request-id'));

      const echoed = await s.api('/api/gateway/ping', { headers: { ...AUTH, 'x-request-id': ' client-req.42 ' } });
      assert.equal(echoed.headers.get('x-request-id'), 'client-req.42');
      const injected = await s.api('/api/gateway/ping', { headers: { ...AUTH, 'x-request-id': 'a b"c<script>' } });
      assert.match(injected.headers.get('x-request-id')!, /^[0-9a-f]{32}$/);
    });
  });
});

describe('origin allowlist and CORS', () => {
  it('matches origins with fnmatch semantics', () => {
    const dflt = originAllowlist(['http://localhost:*', 'http://127.0.0.1:*']);
    assert.ok(dflt('http://localhost:5173'));
    assert.ok(dflt('http://127.0.0.1:8080'));
    assert.ok(!dflt('http://localhost'), 'portless origin is not matched');
    assert.ok(!dflt('https://localhost:5173'));
    assert.ok(!dflt('http://[::1]:5173'));
    assert.ok(!dflt('http://evil.example'));
    assert.ok(!dflt('null'));
    const ngrok = originAllowlist(['https://*.ngrok-free.app']);
    assert.ok(ngrok('https://cd37c7c7a7de.ngrok-free.app'));
    assert.ok(ngrok('https://x/y.ngrok-free.app'), '`*` crosses `/` like fnmatch');
    assert.ok(!ngrok('https://ngrok-free.app'));
    const classes = originAllowlist(['http://h[!x]st:?', 'http://exact.example']);
    assert.ok(classes('http://host:1'));
    assert.ok(!classes('http://hxst:1'));
    assert.ok(classes('http://exact.example'));
    assert.ok(!classes('http://exact.examplE'), 'case-sensitive');
    assert.ok(!originAllowlist([])('http://localhost:1'), 'an empty allowlist refuses every origin');
    assert.ok(originAllowlist(['*'])('https://anything.example'));
  });

  it('refuses a disallowed Origin with 403 even with a valid token; no Origin is not checked', async () => {
    await withServer({}, async (s) => {
      const evil = await s.api('/api/gateway/ping', { headers: { ...AUTH, origin: 'http://evil.example' } });
      assert.equal(evil.status, 403);
      assert.deepEqual(await evil.json(), { detail: 'Forbidden (origin not allowed)' });
      assert.equal(evil.headers.get('access-control-allow-origin'), null);
      assert.ok(evil.headers.get('x-request-id'));

      const good = await s.api('/api/gateway/ping', { headers: { ...AUTH, origin: 'http://localhost:5173' } });
      assert.equal(good.status, 200);
      assert.equal(good.headers.get('access-control-allow-origin'), 'http://localhost:5173');
      assert.equal(good.headers.get('access-control-allow-credentials'), 'true');
      assert.match(good.headers.get('access-control-expose-headers')!, /x-request-id/);
      assert.match(good.headers.get('vary')!, /Origin/);

      assert.equal((await s.api('/api/gateway/ping')).status, 200);
    });
    await withServer({ ABSTRACTGATEWAY_ALLOWED_ORIGINS: 'https://*.ngrok-free.app' }, async (s) => {
      assert.equal((await s.api('/api/gateway/ping', { headers: { ...AUTH, origin: 'https://cd37c7c7a7de.ngrok-free.app' } })).status, 200);
      assert.equal((await s.api('/api/gateway/ping', { headers: { ...AUTH, origin: 'http://localhost:3000' } })).status, 403);
    });
  });

  it('answers preflights without auth for allowed origins only', async () => {
    await withServer({}, async (s) => {
      const pre = await fetch(`${s.url}/api/gateway/commands`, {
        method: 'OPTIONS',
        headers: { origin: 'http://127.0.0.1:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-abstractgateway-session' },
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), 'http://127.0.0.1:3000');
      assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
      assert.match(pre.headers.get('access-control-allow-methods')!, /POST/);
      assert.equal(pre.headers.get('access-control-allow-headers'), 'authorization,content-type,x-abstractgateway-session');
      assert.equal(pre.headers.get('access-control-max-age'), '600');

      const denied = await fetch(`${s.url}/api/gateway/commands`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
      assert.equal(denied.status, 403);
      assert.deepEqual(await denied.json(), { detail: 'Forbidden (origin not allowed)' });
      assert.equal(denied.headers.get('access-control-allow-origin'), null);
      assert.equal(denied.headers.get('access-control-allow-credentials'), null);
    });
  });

  it('sends CORS headers on security rejections so browsers see the real error', async () => {
    await withServer({}, async (s) => {
      const r = await fetch(`${s.url}/api/gateway/ping`, { headers: { origin: 'http://localhost:5173' } });
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('access-control-allow-origin'), 'http://localhost:5173');
      assert.equal(r.headers.get('access-control-allow-credentials'), 'true');
      assert.match(r.headers.get('access-control-expose-headers')!, /www-authenticate/);
    });
  });
});

describe('body limits', () => {
  it('rejects a Content-Length over the cap with 413 before the handler runs', async () => {
    await withServer({ ABSTRACTGATEWAY_MAX_BODY_BYTES: '2000' }, async (s, state) => {
      const r = await s.api('/api/gateway/test/echo', { method: 'POST', json: { pad: 'x'.repeat(10_000) } });
      assert.equal(r.status, 413);
      const { detail } = (await r.json()) as { detail: string };
      assert.match(detail, /^Payload Too Large \(\d+ bytes > 2000 bytes\)$/);
      assert.ok(r.headers.get('x-request-id'));
      assert.equal(state.writes, 0);
      assert.equal((await s.api('/api/gateway/test/echo', { method: 'POST', json: { small: true } })).status, 200);
      assert.equal(state.writes, 1);
    });
  });

  it('cuts off a chunked body over the cap with 413 and writes nothing', async () => {
    await withServer({ ABSTRACTGATEWAY_MAX_BODY_BYTES: '2000' }, async (s, state) => {
      const big = JSON.stringify({ pad: 'x'.repeat(50_000) });
      const r = await postChunked(`${s.url}/api/gateway/test/echo`, big, AUTH);
      assert.equal(r.status, 413);
      assert.match(JSON.parse(r.body).detail, /^Payload Too Large \(\d+ bytes > 2000 bytes\)$/);
      assert.equal(state.writes, 0);
      const small = await postChunked(`${s.url}/api/gateway/test/echo`, JSON.stringify({ a: 1 }), AUTH);
      assert.equal(small.status, 200);
      assert.deepEqual(JSON.parse(small.body).body, { a: 1 });
    });
  });

  it('gives upload paths their larger cap, limited by MAX_UPLOAD_BODY_BYTES', async () => {
    const body = { pad: 'x'.repeat(20_000) };
    await withServer({ ABSTRACTGATEWAY_MAX_BODY_BYTES: '2000', ABSTRACTGATEWAY_MAX_UPLOAD_BODY_BYTES: '100000' }, async (s) => {
      assert.equal((await s.api('/api/gateway/test/attachments/upload', { method: 'POST', json: body })).status, 200);
    });
    await withServer({ ABSTRACTGATEWAY_MAX_BODY_BYTES: '2000', ABSTRACTGATEWAY_MAX_UPLOAD_BODY_BYTES: '10000' }, async (s) => {
      const r = await s.api('/api/gateway/test/attachments/upload', { method: 'POST', json: body });
      assert.equal(r.status, 413);
      assert.match(((await r.json()) as any).detail, /> 10000 bytes\)$/);
    });
  });
});

describe('concurrency and rate limits', () => {
  it('answers 429 + Retry-After: 1 when the general pool is full, and frees the permit when the response ends', async () => {
    let open!: () => void;
    await withServer({ ABSTRACTGATEWAY_MAX_CONCURRENCY: '1' }, async (s, state) => {
      state.gate = new Promise<void>((r) => (open = r));
      const entered = new Promise<void>((r) => (state.entered = r));
      const first = s.api('/api/gateway/test/slow');
      await entered;
      const second = await s.api('/api/gateway/ping');
      assert.equal(second.status, 429);
      assert.equal(second.headers.get('retry-after'), '1');
      assert.deepEqual(await second.json(), { detail: 'Too Many Requests (concurrency limit)' });
      open();
      assert.equal((await first).status, 200);
      assert.equal((await s.api('/api/gateway/ping')).status, 200);
    });
  });

  it('holds SSE-path requests in their own pool', async () => {
    let open!: () => void;
    await withServer({ ABSTRACTGATEWAY_MAX_SSE: '1', ABSTRACTGATEWAY_MAX_CONCURRENCY: '1' }, async (s, state) => {
      state.gate = new Promise<void>((r) => (open = r));
      const entered = new Promise<void>((r) => (state.entered = r));
      const stream = s.api('/api/gateway/test/ledger/stream');
      await entered;
      assert.equal((await s.api('/api/gateway/test/ledger/stream')).status, 429);
      assert.equal((await s.api('/api/gateway/ping')).status, 200, 'a held stream does not take a general permit');
      open();
      assert.equal((await stream).status, 200);
    });
  });

  it('rate-limits per client IP with a token bucket (429 + Retry-After)', async () => {
    const env = { ABSTRACTGATEWAY_RATE_LIMIT_RPS: '1', ABSTRACTGATEWAY_RATE_LIMIT_BURST: '2', ABSTRACTGATEWAY_RATE_LIMIT_EXEMPT_LOOPBACK: '0' };
    await withServer(env, async (s) => {
      assert.equal((await s.api('/api/gateway/ping')).status, 200);
      assert.equal((await s.api('/api/gateway/ping')).status, 200);
      const limited = await s.api('/api/gateway/ping');
      assert.equal(limited.status, 429);
      assert.deepEqual(await limited.json(), { detail: 'Too Many Requests (rate limit)' });
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.equal((await fetch(`${s.url}/api/health`)).status, 200, 'only /api/gateway is limited');
    });
    await withServer({ ABSTRACTGATEWAY_RATE_LIMIT_RPS: '1', ABSTRACTGATEWAY_RATE_LIMIT_BURST: '1' }, async (s) => {
      for (let i = 0; i < 5; i++) assert.equal((await s.api('/api/gateway/ping')).status, 200, 'loopback is exempt by default');
    });
  });
});

describe('audit log', () => {
  it('records writes with the token fingerprint, never the token or query values', async () => {
    await withServer({}, async (s) => {
      const ok = await s.api('/api/gateway/test/echo?secret=hunter2&x=1', { method: 'POST', json: { a: 1 }, headers: { ...AUTH, 'x-client-id': 'cli-7' } });
      assert.equal(ok.status, 200);
      const rid = ok.headers.get('x-request-id');
      const denied = await fetch(`${s.url}/api/gateway/test/echo`, { method: 'POST', headers: { authorization: 'Bearer nope-nope-nope-nope' } });
      assert.equal(denied.status, 401);
      await s.api('/api/gateway/ping'); // reads are not audited

      const lines = await auditLines(s.dataDir, (l) => l.length >= 2);
      assert.equal(lines.length, 2);
      const [entry, rejected] = lines;
      assert.equal(entry.request_id, rid);
      assert.equal(entry.method, 'POST');
      assert.equal(entry.path, '/api/gateway/test/echo');
      assert.equal(entry.query, 'secret=<redacted>&x=<redacted>');
      assert.equal(entry.status, 200);
      assert.equal(entry.auth_required, true);
      assert.equal(entry.auth_token_fp, tokenFingerprint(TEST_TOKEN));
      assert.equal(entry.principal_user_id, 'local-admin');
      assert.deepEqual(entry.headers, { 'x-client-id': 'cli-7' });
      assert.equal(typeof entry.duration_ms, 'number');
      assert.match(entry.ts, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
      assert.equal(rejected.status, 401);
      assert.equal(rejected.principal_user_id, undefined);

      const raw = await readFile(join(s.dataDir, 'audit_log.jsonl'), 'utf8');
      assert.ok(!raw.includes(TEST_TOKEN) && !raw.includes('nope-nope') && !raw.includes('hunter2'));
      assert.equal((await stat(join(s.dataDir, 'audit_log.jsonl'))).mode & 0o777, 0o600);
    });
  });

  it('rotates by size and keeps the newest rotations', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agw-audit-'));
    try {
      const log = new AuditLog(dir, 200, 2, (e) => assert.fail(String(e)));
      for (let i = 0; i < 6; i++) {
        log.write({ ts: 't', request_id: `r${i}`, ip: '1.2.3.4', method: 'POST', path: '/api/gateway/x', query: '', status: 200, duration_ms: 1, auth_required: true });
        await log.flush();
        await sleep(2); // distinct rotation timestamps
      }
      const files = (await readdir(dir)).sort();
      assert.ok(files.includes('audit_log.jsonl'));
      assert.equal(files.filter((f) => f !== 'audit_log.jsonl').length, 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('bootstrap token', () => {
  it('creates a 0600 token file in a 0700 dir, reuses it, and replaces a file others can read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agw-boot-'));
    try {
      const config = loadSecurityConfig({});
      const first = await ensureAuthTokens(config, dir);
      const path = join(dir, 'auth', 'bootstrap-admin-token');
      assert.equal(first.generatedPath, path);
      assert.equal(first.tokens.length, 1);
      assert.ok(first.tokens[0]!.length >= 43);
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.equal((await stat(join(dir, 'auth'))).mode & 0o777, 0o700);
      assert.equal((await readFile(path, 'utf8')).trim(), first.tokens[0]);

      const again = await ensureAuthTokens(config, dir);
      assert.deepEqual(again, { tokens: first.tokens });

      await chmod(path, 0o644);
      const replaced = await ensureAuthTokens(config, dir);
      assert.equal(replaced.generatedPath, path);
      assert.notEqual(replaced.tokens[0], first.tokens[0]);
      assert.equal((await stat(path)).mode & 0o777, 0o600);

      const configured = await ensureAuthTokens(loadSecurityConfig({ ABSTRACTGATEWAY_AUTH_TOKEN: 'a-configured-token-123456' }), join(dir, 'other'));
      assert.deepEqual(configured, { tokens: ['a-configured-token-123456'] });
      await assert.rejects(readdir(join(dir, 'other')), /ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves with the generated token when none is configured, and a second start reuses it', async () => {
    const s = await startServer({ env: { ABSTRACTGATEWAY_AUTH_TOKEN: undefined } });
    try {
      const path = join(s.dataDir, 'auth', 'bootstrap-admin-token');
      const token = (await readFile(path, 'utf8')).trim();
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.equal((await fetch(`${s.url}/api/gateway/ping`)).status, 401);
      assert.equal((await fetch(`${s.url}/api/gateway/ping`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      assert.equal((await s.api('/api/gateway/ping')).status, 401, 'the test token is not configured here');

      const second = await buildApp({ gateway: s.gateway, env: { ABSTRACTGATEWAY_DATA_DIR: s.dataDir } });
      try {
        await second.listen({ host: '127.0.0.1', port: 0 });
        const addr = second.server.address();
        const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
        assert.equal((await fetch(`${url}/api/gateway/ping`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
        assert.equal((await readFile(path, 'utf8')).trim(), token);
      } finally {
        await second.close();
      }
    } finally {
      await s.close();
    }
  });
});

describe('dev switches', () => {
  it('ABSTRACTGATEWAY_SECURITY=0 serves without a token as local-admin', async () => {
    await withServer({ ABSTRACTGATEWAY_SECURITY: '0' }, async (s) => {
      const r = await fetch(`${s.url}/api/gateway/test/whoami`);
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as any).principal.userId, 'local-admin');
    });
  });

  it('PROTECT_WRITE=0 lets anonymous writes through while reads stay protected', async () => {
    await withServer({ ABSTRACTGATEWAY_PROTECT_WRITE: '0' }, async (s) => {
      assert.equal((await fetch(`${s.url}/api/gateway/test/echo`, { method: 'POST' })).status, 200);
      assert.equal((await fetch(`${s.url}/api/gateway/ping`)).status, 401);
    });
  });

  it('DEV_READ_NO_AUTH=1 gives loopback reads the loopback-readonly principal; writes still need the token', async () => {
    await withServer({ ABSTRACTGATEWAY_DEV_READ_NO_AUTH: '1' }, async (s) => {
      const r = await fetch(`${s.url}/api/gateway/test/whoami`);
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as any).principal.userId, 'loopback-readonly');
      assert.equal((await fetch(`${s.url}/api/gateway/test/echo`, { method: 'POST' })).status, 401);
    });
    // Behind a trusted proxy the forwarded address decides: a remote client is not loopback.
    await withServer({ ABSTRACTGATEWAY_DEV_READ_NO_AUTH: '1', ABSTRACTGATEWAY_TRUST_PROXY: '1' }, async (s) => {
      assert.equal((await fetch(`${s.url}/api/gateway/ping`, { headers: { 'x-forwarded-for': '203.0.113.9, 127.0.0.1' } })).status, 401);
      assert.equal((await fetch(`${s.url}/api/gateway/ping`, { headers: { 'x-forwarded-for': '::ffff:127.0.0.1' } })).status, 200);
    });
  });
});
