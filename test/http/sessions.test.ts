// Browser sessions over real sockets (spec security §4, appendix B): cookies and their
// attributes, the session header of proxies (AbstractObserver), CSRF on every session write,
// logout, revocation on rotation / disable / delete, and the sign-in throttle.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestServer } from '../helpers/http.js';
import { ADMIN, call, createUser, GW, hostedServer, login, ok } from './hosted-kit.js';

async function withHosted(fn: (s: TestServer, alice: string) => Promise<void>, env: Record<string, string> = {}) {
  const s = await hostedServer(env);
  try {
    await fn(s, await createUser(s, { user_id: 'alice' }));
  } finally {
    await s.close();
  }
}

const attrs = (setCookie: string[], name: string) => setCookie.find((c) => c.startsWith(`${name}=`))!.split(';').map((p) => p.trim());

describe('browser sessions', () => {
  it('login sets HttpOnly session + readable CSRF cookies; the body holds neither id', () =>
    withHosted(async (s, alice) => {
      const sess = await login(s, 'alice', alice);
      assert.match(sess.cookie, /abstractgateway_session=agws_[A-Za-z0-9_-]{43}/);
      assert.match(sess.csrf, /^agcsrf_/);
      assert.equal(sess.body.principal.user_id, 'alice');
      assert.equal(sess.body.auth.session, 'gateway-browser-session');
      assert.match(sess.body.session.expires_at, /^\d{4}-\d\d-\d\dT/);
      const text = JSON.stringify(sess.body);
      assert.ok(!text.includes(sess.csrf) && !text.includes('agws_'));
      assert.ok(!sess.setCookie.join('\n').includes(alice));
      const session = attrs(sess.setCookie, 'abstractgateway_session');
      const csrf = attrs(sess.setCookie, 'abstractgateway_csrf');
      assert.ok(session.includes('HttpOnly') && !csrf.includes('HttpOnly'));
      assert.ok(session.includes('SameSite=Lax') && csrf.includes('SameSite=Lax'));
      assert.ok(!session.includes('Secure') && !session.some((a) => a.startsWith('Max-Age')));

      const secure = await login(s, 'alice', alice, { remember: true, headers: { 'x-forwarded-proto': 'https' } });
      for (const name of ['abstractgateway_session', 'abstractgateway_csrf']) {
        const a = attrs(secure.setCookie, name);
        assert.ok(a.includes('Secure'), name);
        assert.ok(a.includes('Max-Age=2592000'), name);
      }
    }));

  it('the cookie and the proxy header authenticate; writes need the CSRF header', () =>
    withHosted(async (s, alice) => {
      const sess = await login(s, 'alice', alice);
      assert.equal((await ok(s, `${GW}/me`, { headers: { cookie: sess.cookie } })).principal.user_id, 'alice');
      const value = sess.cookie.split('; ')[0]!.split('=')[1]!;
      assert.equal((await ok(s, `${GW}/me`, { headers: { 'x-abstractgateway-session': value } })).principal.user_id, 'alice');

      const write = { json: { bundle_id: 'nope' }, headers: { cookie: sess.cookie } };
      const refused = await call(s, `${GW}/runs/start`, write);
      assert.equal(refused.status, 403);
      assert.deepEqual(refused.body, { detail: 'Gateway browser session CSRF token missing or invalid', reason_code: 'csrf_required' });
      assert.equal((await call(s, `${GW}/runs/start`, { ...write, headers: { ...write.headers, 'x-abstractgateway-csrf': 'agcsrf_wrong' } })).status, 403);
      const passed = await call(s, `${GW}/runs/start`, { ...write, headers: { ...write.headers, 'x-abstractgateway-csrf': sess.csrf } });
      assert.notEqual(passed.status, 403, 'past the CSRF guard, the handler answers');
      assert.equal((await call(s, `${GW}/admin/users`, { headers: { cookie: sess.cookie } })).status, 403);
      // Bearer callers need no CSRF token, and an invalid bearer never falls back to the cookie.
      assert.equal((await call(s, `${GW}/me`, { token: 'agw_wrong', headers: { cookie: sess.cookie } })).status, 401);
    }));

  it('logout needs CSRF, deletes the session and clears both cookies', () =>
    withHosted(async (s, alice) => {
      const sess = await login(s, 'alice', alice);
      const value = sess.cookie.split('; ')[0]!.split('=')[1]!;
      const header = { 'x-abstractgateway-session': value };
      assert.equal((await call(s, `${GW}/session/logout`, { method: 'POST', headers: header })).status, 403);
      const res = await fetch(`${s.url}${GW}/session/logout`, { method: 'POST', headers: { ...header, 'x-abstractgateway-csrf': sess.csrf } });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { ok: true, deleted: true });
      assert.ok(res.headers.getSetCookie().every((c) => c.includes('Max-Age=0')));
      assert.equal((await call(s, `${GW}/me`, { headers: header })).status, 401);
    }));

  it('token rotation, disable and delete revoke sessions at once', () =>
    withHosted(async (s, alice) => {
      const a = await login(s, 'alice', alice);
      await ok(s, `${GW}/admin/users/alice`, { method: 'PATCH', token: ADMIN, json: { rotate_token: true } });
      assert.equal((await call(s, `${GW}/me`, { headers: { cookie: a.cookie } })).status, 401);

      const fresh = (await ok(s, `${GW}/admin/users/alice`, { method: 'PATCH', token: ADMIN, json: { rotate_token: true } })).token;
      const b = await login(s, 'alice', fresh);
      await ok(s, `${GW}/admin/users/alice`, { method: 'PATCH', token: ADMIN, json: { enabled: false } });
      assert.equal((await call(s, `${GW}/me`, { headers: { cookie: b.cookie } })).status, 401);
      await ok(s, `${GW}/admin/users/alice`, { method: 'PATCH', token: ADMIN, json: { enabled: true } });
      assert.equal((await call(s, `${GW}/me`, { headers: { cookie: b.cookie } })).status, 401, 're-enabling does not revive a revoked session');

      const c = await login(s, 'alice', fresh);
      await ok(s, `${GW}/admin/users/alice`, { method: 'DELETE', token: ADMIN });
      assert.equal((await call(s, `${GW}/me`, { headers: { cookie: c.cookie } })).status, 401);
    }));

  it('every failed sign-in is the same 401; repeated failures are throttled with 429', () =>
    withHosted(async (s, alice) => {
      const bob = await createUser(s, { user_id: 'bob' });
      const wrongUser = await call(s, `${GW}/session/login`, { json: { user_id: 'alice', token: bob } });
      assert.deepEqual([wrongUser.status, wrongUser.body.detail], [401, 'Invalid Gateway user token']);
      // Shared tokens never open a session.
      assert.equal((await call(s, `${GW}/session/login`, { json: { user_id: 'local-admin', token: ADMIN } })).status, 401);
      assert.equal((await call(s, `${GW}/session/login`, { json: { user_id: 'alice', token: alice, extra: 1 } })).status, 422);
      // The fifth failure from this IP (two above, three guesses) starts a lock and is itself a 429.
      const guesses = [];
      for (let i = 0; i < 3; i++) guesses.push(await call(s, `${GW}/session/login`, { json: { user_id: 'alice', token: 'agw_guess' } }));
      assert.deepEqual(guesses.map((g) => g.status), [401, 401, 429]);
      assert.equal(guesses[2]!.body.detail, 'Too Many Requests (auth lockout)');
      assert.ok(Number(guesses[2]!.headers.get('retry-after')) >= 1);
    }, { ABSTRACTGATEWAY_LOGIN_LOCKOUT_AFTER: '5' }));

  it('a disallowed Origin cannot sign in', () =>
    withHosted(async (s, alice) => {
      const r = await call(s, `${GW}/session/login`, { json: { user_id: 'alice', token: alice }, headers: { origin: 'http://evil.example' } });
      assert.equal(r.status, 403);
    }));
});
