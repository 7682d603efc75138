// The security pipeline as an ordered list of named guards: the order itself, and a guard slotted
// into the list taking effect over a real socket, in its place between the others.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { HostedServices } from '../../src/gateway/plane.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadSecurityConfig } from '../../src/config/security.js';
import { GatewayError } from '../../src/errors.js';
import { securityGuards, type Guard } from '../../src/http/security/index.js';
import { startServer, TEST_TOKEN } from '../helpers/http.js';

const names = (guards: Guard[]) => guards.map((g) => g.name);

/** A stand-in for hosted mode's CSRF step: writes need `x-test-csrf: ok`. */
function fakeCsrf(seen: Array<string | null>): Guard {
  return {
    name: 'csrf',
    check(req, _reply, ctx) {
      if (!ctx.isWrite) return;
      seen.push(req.principal?.userId ?? null);
      if (req.headers['x-test-csrf'] !== 'ok') return new GatewayError('GW_ERR_FORBIDDEN', 'csrf token missing', { headers: { 'x-test-guard': 'csrf' } });
    },
  };
}

function insertBefore(name: string, guard: Guard) {
  return (guards: Guard[]) => {
    const i = guards.findIndex((g) => g.name === name);
    assert.ok(i >= 0, `no guard named ${name}`);
    return [...guards.slice(0, i), guard, ...guards.slice(i)];
  };
}

describe('security guards', () => {
  it('run in the spec order; the rate limit is in the list only when configured', () => {
    const config = loadSecurityConfig({ ABSTRACTGATEWAY_AUTH_TOKEN: TEST_TOKEN });
    assert.deepEqual(names(securityGuards(config)), ['origin', 'lockout', 'rate-limit', 'options', 'auth', 'route-family', 'body-cap', 'concurrency']);
    const unlimited = loadSecurityConfig({ ABSTRACTGATEWAY_AUTH_TOKEN: TEST_TOKEN, ABSTRACTGATEWAY_RATE_LIMIT_RPS: '0' });
    assert.deepEqual(names(securityGuards(unlimited)), ['origin', 'lockout', 'options', 'auth', 'route-family', 'body-cap', 'concurrency']);
    // Hosted mode adds the CSRF check of browser sessions right after auth.
    const hosted = { config: { csrfHeader: 'x-abstractgateway-csrf' } } as unknown as HostedServices;
    assert.deepEqual(names(securityGuards(unlimited, hosted)), ['origin', 'lockout', 'options', 'auth', 'csrf', 'route-family', 'body-cap', 'concurrency']);
  });

  it('applies a guard slotted in before the body cap: after auth, before the 413, audited', async () => {
    const seen: Array<string | null> = [];
    let writes = 0;
    const s = await startServer({
      env: { ABSTRACTGATEWAY_MAX_BODY_BYTES: '100' },
      app: { guards: insertBefore('body-cap', fakeCsrf(seen)) },
      beforeListen: (app) => {
        app.post('/api/gateway/test/echo', async () => {
          writes++;
          return { ok: true };
        });
      },
    });
    const echo = (json: unknown, headers: Record<string, string> = {}) => s.api('/api/gateway/test/echo', { method: 'POST', json, headers });
    const big = { pad: 'x'.repeat(500) };
    try {
      const refused = await echo({ a: 1 });
      assert.equal(refused.status, 403);
      assert.equal(refused.headers.get('x-test-guard'), 'csrf');
      assert.match(refused.headers.get('content-type')!, /^application\/json/);
      assert.ok(refused.headers.get('x-request-id'));
      assert.deepEqual(await refused.json(), { detail: 'csrf token missing' });

      // After 'auth': an anonymous write is answered there and never reaches the new guard.
      assert.equal((await fetch(`${s.url}/api/gateway/test/echo`, { method: 'POST' })).status, 401);
      // Before 'body-cap': an oversized body gets the guard's 403, not the 413.
      assert.equal((await echo(big)).status, 403);
      assert.equal((await echo(big, { 'x-test-csrf': 'ok' })).status, 413);
      assert.equal(writes, 0);

      assert.equal((await echo({ a: 1 }, { 'x-test-csrf': 'ok' })).status, 200);
      assert.equal(writes, 1);
      assert.equal((await s.api('/api/gateway/ping')).status, 200, 'reads pass the guard');
      // The guard saw the principal that 'auth' attached, on every write that got past auth.
      assert.deepEqual(seen, ['local-admin', 'local-admin', 'local-admin', 'local-admin']);

      // The on-close audit covers the new guard's refusals like any other step's.
      let statuses: number[] = [];
      for (let i = 0; i < 100 && statuses.length < 5; i++, await sleep(20)) {
        const text = await readFile(join(s.dataDir, 'audit_log.jsonl'), 'utf8').catch(() => '');
        statuses = text.split('\n').filter(Boolean).map((l) => JSON.parse(l).status);
      }
      assert.deepEqual(statuses.sort(), [200, 401, 403, 403, 413]);
    } finally {
      await s.close();
    }
  });
});
