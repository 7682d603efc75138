// Store conformance: the users registry and browser sessions (hosted mode). Backends must give
// O(1) token lookup, per-tenant case-insensitive runtime ids, atomic registry transactions and
// per-user session caps.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ReservationRow, SessionRow, UserRow } from '../../../src/store/types.js';
import type { CaseRunner } from './backend.js';
import { append, insert, makeRecord, makeRun } from './fixtures.js';

const T = '2026-01-01T00:00:00.000000+00:00';

export const user = (o: Partial<UserRow> = {}): UserRow => ({
  tenant_id: 'default',
  user_id: 'alice',
  email: '',
  roles: ['user'],
  scopes: [],
  enabled: true,
  runtime_id: 'alice',
  token_hash: `sha256$${(o.user_id ?? 'alice').padEnd(64, '0')}`,
  created_at: T,
  updated_at: T,
  ...o,
});

const session = (hash: string, o: Partial<SessionRow> = {}): SessionRow => ({
  session_hash: hash,
  tenant_id: 'default',
  user_id: 'alice',
  csrf_hash: 'c'.repeat(64),
  credential_fingerprint: 'f'.repeat(12),
  token_fingerprint: 't'.repeat(12),
  remember: false,
  created_at: T,
  expires_at_ms: 10_000,
  last_seen_ms: 1_000,
  ...o,
});

const reservation = (o: Partial<ReservationRow> = {}): ReservationRow => ({
  tenant_id: 'default', runtime_id: 'old', owner_key: 'default:gone', owner_user_id: 'gone', reason: 'deleted-user', created_at: T, updated_at: T, ...o,
});

export function userCases({ withStore }: CaseRunner): void {
  describe('users registry', () => {
    it('stores users, finds them by token hash and lists them in (tenant, user) order', withStore(async (store) => {
      const u = store.users;
      await u.tx(async (tx) => {
        await tx.putUser(user({ user_id: 'bob', runtime_id: 'bob', roles: ['admin', 'user'], scopes: ['x'], email: 'b@example.com' }));
        await tx.putUser(user());
        await tx.putUser(user({ tenant_id: 'a-team', user_id: 'zed', runtime_id: 'alice' }));
      });
      assert.deepEqual((await u.listUsers()).map((x) => `${x.tenant_id}/${x.user_id}`), ['a-team/zed', 'default/alice', 'default/bob']);
      assert.deepEqual(await u.getUser('default', 'bob'), user({ user_id: 'bob', runtime_id: 'bob', roles: ['admin', 'user'], scopes: ['x'], email: 'b@example.com' }));
      assert.equal((await u.userByTokenHash(user().token_hash))?.user_id, 'alice');
      assert.equal(await u.userByTokenHash('sha256$none'), null);
      assert.equal(await u.countUsers(), 3);
      // Replace by key; delete.
      await u.tx((tx) => tx.putUser(user({ enabled: false })));
      assert.equal((await u.getUser('default', 'alice'))?.enabled, false);
      assert.equal(await u.tx((tx) => tx.deleteUser('default', 'alice')), true);
      assert.equal(await u.tx((tx) => tx.deleteUser('default', 'alice')), false);
      assert.equal(await u.getUser('default', 'alice'), null);
    }));

    it('runtime ids are unique per tenant ignoring case; token hashes are unique', withStore(async (store) => {
      const u = store.users;
      await u.tx((tx) => tx.putUser(user({ runtime_id: 'Team' })));
      assert.equal((await u.tx((tx) => tx.userByRuntime('default', 'team')))?.user_id, 'alice');
      assert.equal(await u.tx((tx) => tx.userByRuntime('other', 'team')), null);
      await assert.rejects(u.tx((tx) => tx.putUser(user({ user_id: 'bob', runtime_id: 'TEAM' }))));
      await assert.rejects(u.tx((tx) => tx.putUser(user({ user_id: 'bob', runtime_id: 'bob', token_hash: user().token_hash }))));
      await u.tx((tx) => tx.putUser(user({ tenant_id: 'other', runtime_id: 'team', token_hash: 'sha256$other' })));
    }));

    it('a transaction that throws writes nothing', withStore(async (store) => {
      await assert.rejects(
        store.users.tx(async (tx) => {
          await tx.putUser(user());
          await tx.putReservation(reservation());
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.deepEqual(await store.users.listUsers(), []);
      assert.deepEqual(await store.users.listReservations(), []);
    }));

    it('keeps runtime reservations by (tenant, runtime ignoring case)', withStore(async (store) => {
      const u = store.users;
      await u.tx(async (tx) => {
        await tx.putReservation(reservation({ runtime_id: 'zz' }));
        await tx.putReservation(reservation());
      });
      assert.deepEqual((await u.listReservations()).map((r) => r.runtime_id), ['old', 'zz']);
      assert.equal((await u.tx((tx) => tx.getReservation('default', 'OLD')))?.owner_key, 'default:gone');
      await u.tx((tx) => tx.putReservation(reservation({ reason: 'purging' })));
      assert.equal((await u.tx((tx) => tx.getReservation('default', 'old')))?.reason, 'purging');
      assert.equal(await u.tx((tx) => tx.deleteReservation('default', 'old')), true);
      assert.equal(await u.tx((tx) => tx.getReservation('default', 'old')), null);
    }));
  });

  describe('browser sessions', () => {
    it('stores, touches and deletes sessions by hash; drops expired ones and caps each user', withStore(async (store) => {
      const u = store.users;
      await u.insertSession(session('s1', { last_seen_ms: 1 }), 2, 0);
      await u.insertSession(session('s2', { last_seen_ms: 2 }), 2, 0);
      await u.insertSession(session('b1', { user_id: 'bob', expires_at_ms: 50 }), 2, 0);
      await u.insertSession(session('s3', { last_seen_ms: 3, remember: true }), 2, 0);
      assert.equal(await u.getSession('s1'), null, "the user's least recently seen session is dropped");
      assert.deepEqual(await u.getSession('s3'), session('s3', { last_seen_ms: 3, remember: true }));
      await u.touchSession('s2', 5_000);
      assert.equal((await u.getSession('s2'))?.last_seen_ms, 5_000);
      // Expired sessions go at the next insert.
      await u.insertSession(session('c1', { user_id: 'carol' }), 2, 100);
      assert.equal(await u.getSession('b1'), null);
      assert.equal(await u.deleteSession('s2'), true);
      assert.equal(await u.deleteSession('s2'), false);
      assert.equal(await u.tx((tx) => tx.deleteSessionsOf('default', 'alice')), 1);
      assert.equal(await u.getSession('s3'), null);
      assert.ok(await u.getSession('c1'));
    }));
  });

  describe('purging a scope', () => {
    it("removes one runtime scope's runs, commands and artifacts and nothing else", withStore(async (store) => {
      const a = store.scope('t:a');
      const b = store.scope('t:b');
      await a.submitCommand({ command_id: 'c', run_id: 'r', type: 'pause', payload: {}, ts: T, client_id: null });
      await b.submitCommand({ command_id: 'c', run_id: 'r', type: 'pause', payload: {}, ts: T, client_id: null });
      await a.artifacts.put(Buffer.from('x'), { artifact_id: 'art' });
      const run = makeRun();
      await insert(a, run);
      await append(a, run.run_id, [makeRecord(run.run_id)]);
      await store.purgeScope('t:a');
      assert.equal(await a.getRun(run.run_id), null);
      assert.deepEqual((await a.readLedger(run.run_id, 0, 10)).items, []);
      assert.equal(await a.getCommand('c'), null);
      assert.equal(await a.artifacts.getMetadata('art'), null);
      assert.ok(await b.getCommand('c'));
    }));
  });
}
