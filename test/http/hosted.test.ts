// Hosted mode over real sockets (spec security §2–§4, appendix B): /me in both modes, the users
// registry's admin API, runtime reservations (purge, transfer), bootstrap and reference import.

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startServer, TEST_TOKEN, type TestServer } from '../helpers/http.js';
import { ADMIN, call, createUser, GW, hostedServer, ok } from './hosted-kit.js';

async function withHosted(fn: (s: TestServer) => Promise<void>, env: Record<string, string | undefined> = {}) {
  const s = await hostedServer(env);
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

describe('principals and /me', () => {
  it('local mode: a shared token is local-admin, single-user routing, no sessions or registry', async () => {
    const s = await startServer();
    try {
      const me = await ok(s, `${GW}/me`, { token: TEST_TOKEN });
      assert.deepEqual(me.auth, { mode: 'legacy-token', user_auth_enabled: false });
      assert.deepEqual(me.routing, { mode: 'single-user', one_user_one_runtime: false });
      assert.equal(me.principal.user_id, 'local-admin');
      assert.equal(me.principal.source, 'legacy-token');
      assert.equal(me.principal.admin, true);
      assert.equal((await call(s, `${GW}/session/login`, { json: { user_id: 'admin', token: TEST_TOKEN } })).status, 404);
      assert.equal((await call(s, `${GW}/admin/users`, { token: TEST_TOKEN })).status, 404);
      assert.equal((await call(s, `${GW}/me`)).status, 401);
    } finally {
      await s.close();
    }
  });

  it('hosted mode: the operator token is the bootstrap admin default/admin on the root plane', () =>
    withHosted(async (s) => {
      const me = await ok(s, `${GW}/me`, { token: ADMIN });
      assert.deepEqual(me, {
        ok: true,
        principal: { user_id: 'admin', tenant_id: 'default', roles: ['admin', 'user'], scopes: [], token_fingerprint: me.principal.token_fingerprint, runtime_id: 'default', source: 'user-registry', admin: true },
        auth: { mode: 'users', user_auth_enabled: true },
        routing: { mode: 'per-principal', one_user_one_runtime: true },
      });
      assert.match(me.principal.token_fingerprint, /^[0-9a-f]{12}$/);
      assert.equal(await s.gateway.planeFor({ userId: 'admin', tenantId: 'default', roles: ['admin'], scopes: [], tokenFingerprint: '', runtimeId: 'default', source: 'user-registry' }), s.gateway.root);
    }));

  it('hosted mode without AUTH_TOKEN: the generated token file is the admin token', async () => {
    const s = await hostedServer({ ABSTRACTGATEWAY_AUTH_TOKEN: undefined });
    try {
      const { readFile } = await import('node:fs/promises');
      const token = (await readFile(join(s.dataDir, 'auth', 'bootstrap-admin-token'), 'utf8')).trim();
      const me = await ok(s, `${GW}/me`, { token });
      assert.equal(me.principal.user_id, 'admin');
      assert.equal(me.principal.source, 'user-registry');
    } finally {
      await s.close();
    }
  });
});

describe('users registry admin API', () => {
  it('create, get, list, patch, disable, rotate, delete: tokens shown once and never stored in clear', () =>
    withHosted(async (s) => {
      const created = await ok(s, `${GW}/admin/users`, { token: ADMIN, json: { user_id: 'alice', email: 'alice@example.com' } });
      assert.match(created.token, /^agw_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(Object.keys(created.user).sort(), ['created_at', 'email', 'enabled', 'roles', 'runtime_id', 'scopes', 'tenant_id', 'updated_at', 'user_id']);
      assert.equal(created.user.runtime_id, 'alice');
      const alice = created.token as string;

      const me = await ok(s, `${GW}/me`, { token: alice });
      assert.equal(me.principal.user_id, 'alice');
      assert.equal(me.principal.admin, false);
      assert.equal(me.routing.mode, 'per-principal');

      const forbidden = await call(s, `${GW}/admin/users`, { token: alice });
      assert.equal(forbidden.status, 403);
      assert.deepEqual(forbidden.body, { detail: 'Admin principal required', reason_code: 'admin_required', required_role: 'admin', resource_class: 'admin', action: 'read' });

      const listed = await ok(s, `${GW}/admin/users`, { token: ADMIN });
      assert.deepEqual(listed.users.map((u: any) => u.user_id), ['admin', 'alice']);
      assert.ok(!JSON.stringify(listed).includes('token_hash'));
      const { readFile } = await import('node:fs/promises');
      const db = await readFile(join(s.dataDir, 'gateway.sqlite3')).catch(() => Buffer.alloc(0));
      assert.ok(!db.includes(Buffer.from(alice)), 'the raw token is not in the database');

      const patched = await ok(s, `${GW}/admin/users/alice`, { method: 'PATCH', token: ADMIN, json: { email: 'a@example.org' } });
      assert.equal(patched.user.email, 'a@example.org');
      assert.equal(patched.token, undefined);
      assert.equal((await call(s, `${GW}/admin/users/alice`, { method: 'PATCH', token: ADMIN, json: { email: 'nope' } })).body.detail, 'email must be empty or a valid email address');
      assert.equal((await call(s, `${GW}/admin/users/alice`, { method: 'PATCH', token: ADMIN, json: { colour: 'red' } })).status, 422);

      await ok(s, `${GW}/admin/users/alice`, { method: 'PATCH', token: ADMIN, json: { enabled: false } });
      assert.equal((await call(s, `${GW}/me`, { token: alice })).status, 401);
      const rotated = await ok(s, `${GW}/admin/users/alice`, { method: 'PATCH', token: ADMIN, json: { enabled: true, rotate_token: true } });
      assert.match(rotated.token, /^agw_/);
      assert.equal((await call(s, `${GW}/me`, { token: alice })).status, 401, 'the old token stops working');
      assert.equal((await ok(s, `${GW}/me`, { token: rotated.token })).principal.user_id, 'alice');
      assert.equal((await call(s, `${GW}/admin/users/alice`, { method: 'PATCH', token: ADMIN, json: { token: 'short' } })).status, 400);

      assert.deepEqual(await ok(s, `${GW}/admin/users/alice`, { method: 'DELETE', token: ADMIN }), { ok: true, deleted: true, user_id: 'alice', tenant_id: 'default' });
      assert.equal((await call(s, `${GW}/me`, { token: rotated.token })).status, 401);
      assert.equal((await call(s, `${GW}/admin/users/alice`, { token: ADMIN })).body.detail, 'Gateway user not found');
      assert.equal((await call(s, `${GW}/admin/users/alice`, { method: 'DELETE', token: ADMIN })).status, 404);
    }));

  it('a registry admin manages users', () =>
    withHosted(async (s) => {
      const root = await createUser(s, { user_id: 'ops', roles: ['admin', 'user'] });
      await ok(s, `${GW}/admin/users`, { token: root, json: { user_id: 'carol' } });
      assert.deepEqual((await ok(s, `${GW}/admin/users`, { token: root })).users.map((u: any) => u.user_id), ['admin', 'carol', 'ops']);
    }));

  it('runtime ids are unique within a tenant (ignoring case), free across tenants; tenant local is reserved', () =>
    withHosted(async (s) => {
      await createUser(s, { user_id: 'alice' });
      const dup = await call(s, `${GW}/admin/users`, { token: ADMIN, json: { user_id: 'bob', runtime_id: 'alice' } });
      assert.equal(dup.status, 400);
      assert.equal(dup.body.detail, 'Gateway runtime already assigned in tenant default: alice');
      assert.equal((await call(s, `${GW}/admin/users`, { token: ADMIN, json: { user_id: 'bob', runtime_id: 'ALICE' } })).status, 400);
      assert.equal((await call(s, `${GW}/admin/users`, { token: ADMIN, json: { user_id: 'alice' } })).body.detail, 'Gateway user already exists: default/alice');
      await createUser(s, { user_id: 'bob', tenant_id: 'team-b', runtime_id: 'alice' });
      assert.equal((await call(s, `${GW}/admin/users`, { token: ADMIN, json: { user_id: 'x', tenant_id: 'local' } })).status, 400);
      const chosen = 'c'.repeat(40);
      await createUser(s, { user_id: 'c1', token: chosen });
      assert.equal((await call(s, `${GW}/admin/users`, { token: ADMIN, json: { user_id: 'c2', token: chosen } })).body.detail, 'token is already in use by another user');
    }));
});

describe('runtime reservations', () => {
  it('delete reserves the runtime; re-creating the same user reclaims it', () =>
    withHosted(async (s) => {
      await createUser(s, { user_id: 'alice' });
      await ok(s, `${GW}/admin/users/alice`, { method: 'DELETE', token: ADMIN });
      const list = (await ok(s, `${GW}/admin/runtime-reservations`, { token: ADMIN })).runtime_reservations;
      assert.equal(list.length, 1);
      assert.deepEqual(
        { ...list[0], created_at: 0, updated_at: 0 },
        { tenant_id: 'default', runtime_id: 'alice', owner_key: 'default:alice', owner_user_id: 'alice', reason: 'deleted-user', created_at: 0, updated_at: 0, data_exists: false, data_path: join(s.dataDir, 'users', 'default', 'alice') },
      );
      assert.match((await call(s, `${GW}/admin/users`, { token: ADMIN, json: { user_id: 'bob', runtime_id: 'alice' } })).body.detail, /already assigned or retained/);
      await createUser(s, { user_id: 'alice' });
      assert.deepEqual((await ok(s, `${GW}/admin/runtime-reservations`, { token: ADMIN })).runtime_reservations, []);
    }));

  it('purge: users 403, confirmation must match, data deleted, id reusable', () =>
    withHosted(async (s) => {
      const alice = await createUser(s, { user_id: 'alice' });
      await ok(s, `${GW}/runs`, { token: alice }); // opens alice's plane: her directories exist
      const dir = join(s.dataDir, 'users', 'default', 'alice');
      assert.ok(existsSync(join(dir, 'flows')));
      await ok(s, `${GW}/admin/users/alice`, { method: 'DELETE', token: ADMIN });
      const bob = await createUser(s, { user_id: 'bob' });
      const path = `${GW}/admin/runtime-reservations/alice/purge`;
      assert.equal((await call(s, path, { token: bob, json: { confirm_runtime_id: 'alice' } })).status, 403);
      assert.equal((await call(s, path, { token: ADMIN, json: { confirm_runtime_id: 'alicE2' } })).body.detail, 'confirm_runtime_id must match the retained runtime id');
      assert.equal((await call(s, path, { token: ADMIN, json: { confirm_runtime_id: 'alice', delete_data: false } })).status, 400);
      assert.equal((await call(s, `${GW}/admin/runtime-reservations/nobody/purge`, { token: ADMIN, json: { confirm_runtime_id: 'nobody' } })).status, 404);
      const purged = await ok(s, path, { token: ADMIN, json: { confirm_runtime_id: 'alice' } });
      assert.deepEqual(purged, { ok: true, purged: true, deleted_data: true, runtime_id: 'alice', tenant_id: 'default', data_path: dir });
      assert.equal(existsSync(dir), false);
      await createUser(s, { user_id: 'dave', runtime_id: 'alice' });
      // A runtime held by a user cannot be purged.
      assert.equal((await call(s, `${GW}/admin/runtime-reservations/default/purge`, { token: ADMIN, json: { confirm_runtime_id: 'default' } })).status, 400);
    }));

  it('transfer: users 403, the previous runtime is reserved as runtime-transferred, held runtimes refused, purging blocks', () =>
    withHosted(async (s) => {
      await createUser(s, { user_id: 'alice' });
      const bob = await createUser(s, { user_id: 'bob' });
      await ok(s, `${GW}/admin/users/alice`, { method: 'DELETE', token: ADMIN });
      const path = `${GW}/admin/runtime-reservations/alice/transfer`;
      assert.equal((await call(s, path, { token: bob, json: { target_user_id: 'bob', confirm_runtime_id: 'alice' } })).status, 403);
      assert.equal((await call(s, path, { token: ADMIN, json: { target_user_id: 'ghost', confirm_runtime_id: 'alice' } })).status, 404);
      const t = await ok(s, path, { token: ADMIN, json: { target_user_id: 'bob', confirm_runtime_id: 'alice' } });
      assert.equal(t.user.runtime_id, 'alice');
      assert.equal(t.previous_runtime_id, 'bob');
      assert.equal(t.reservation.reason, 'deleted-user');
      const list = (await ok(s, `${GW}/admin/runtime-reservations`, { token: ADMIN })).runtime_reservations;
      assert.deepEqual(list.map((r: any) => [r.runtime_id, r.reason, r.owner_user_id]), [['bob', 'runtime-transferred', 'bob']]);
      assert.equal((await ok(s, `${GW}/me`, { token: bob })).principal.runtime_id, 'alice');

      // A reservation stuck in `purging` (a purge that died midway) blocks transfer; a purge retry succeeds.
      await createUser(s, { user_id: 'erin' });
      await s.gateway.hosted!.users.markPurging('default', 'bob');
      const blocked = await call(s, `${GW}/admin/runtime-reservations/bob/transfer`, { token: ADMIN, json: { target_user_id: 'erin', confirm_runtime_id: 'bob' } });
      assert.equal(blocked.status, 400);
      assert.match(blocked.body.detail, /purge is already in progress/);
      assert.equal((await ok(s, `${GW}/admin/runtime-reservations/bob/purge`, { token: ADMIN, json: { confirm_runtime_id: 'bob' } })).purged, true);
    }));
});

describe('reference users.json import', () => {
  it('imports users and reservations into an empty registry; PBKDF2 users sign in once, then tokens work as bearer', async () => {
    const { pbkdf2Sync, randomBytes } = await import('node:crypto');
    const legacyToken = 'agw_legacy-token-imported-from-the-reference-gw';
    const salt = randomBytes(16);
    const hash = `pbkdf2_sha256$1000$${salt.toString('hex')}$${pbkdf2Sync(legacyToken, salt, 1000, 32, 'sha256').toString('hex')}`;
    // A fresh server whose data dir already holds a reference registry.
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dataDir = await mkdtemp(join(tmpdir(), 'agw-import-'));
    await mkdir(join(dataDir, 'auth'), { recursive: true });
    await writeFile(
      join(dataDir, 'auth', 'users.json'),
      JSON.stringify({
        version: 2,
        runtime_reservations: [{ tenant_id: 'default', runtime_id: 'old', owner_user_id: 'gone' }],
        users: [{ user_id: 'legacy', tenant_id: 'default', roles: 'user', token_hash: hash, token_fingerprint: 'x', runtime_id: 'legacy-rt' }],
      }),
    );
    const s2 = await hostedServer({ ABSTRACTGATEWAY_DATA_DIR: dataDir });
    try {
      assert.deepEqual((await ok(s2, `${GW}/admin/users`, { token: ADMIN })).users.map((u: any) => [u.user_id, u.runtime_id]), [['admin', 'default'], ['legacy', 'legacy-rt']]);
      assert.deepEqual((await ok(s2, `${GW}/admin/runtime-reservations`, { token: ADMIN })).runtime_reservations.map((r: any) => [r.runtime_id, r.owner_key]), [['old', 'default:gone']]);
      assert.equal((await call(s2, `${GW}/me`, { token: legacyToken })).status, 401, 'no per-request PBKDF2');
      const login = await call(s2, `${GW}/session/login`, { json: { user_id: 'legacy', token: legacyToken } });
      assert.equal(login.status, 200);
      assert.equal((await ok(s2, `${GW}/me`, { token: legacyToken })).principal.user_id, 'legacy');
    } finally {
      await s2.close();
      const { rm } = await import('node:fs/promises');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

