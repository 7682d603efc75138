// Hosted mode's registry on SQLite: users, runtime reservations, browser sessions (the UsersStore
// contract in ../types.ts). Writes go through the group committer like every other write; reads
// use the reader connection.

import { conflict } from '../../errors.js';
import type { ReservationRow, SessionRow, UserRow, UsersStore, UsersTx } from '../types.js';
import type { Conn } from './connection.js';
import type { Backend } from './store.js';

interface UserDbRow extends Omit<UserRow, 'roles' | 'scopes' | 'enabled'> {
  roles_json: string;
  scopes_json: string;
  enabled: number;
}

const USER_COLUMNS = 'tenant_id, user_id, email, roles_json, scopes_json, enabled, runtime_id, token_hash, created_at, updated_at';
const RESERVATION_COLUMNS = 'tenant_id, runtime_id, owner_key, owner_user_id, reason, created_at, updated_at';
const SESSION_COLUMNS = 'session_hash, tenant_id, user_id, csrf_hash, credential_fingerprint, token_fingerprint, remember, created_at, expires_at_ms, last_seen_ms';

const toUser = (r: UserDbRow | undefined): UserRow | null =>
  r === undefined
    ? null
    : {
        tenant_id: r.tenant_id,
        user_id: r.user_id,
        email: r.email,
        roles: JSON.parse(r.roles_json),
        scopes: JSON.parse(r.scopes_json),
        enabled: r.enabled === 1,
        runtime_id: r.runtime_id,
        token_hash: r.token_hash,
        created_at: r.created_at,
        updated_at: r.updated_at,
      };

const toSession = (r: (Omit<SessionRow, 'remember'> & { remember: number }) | undefined): SessionRow | null => (r === undefined ? null : { ...r, remember: r.remember === 1 });

const getUser = (c: Conn, tenantId: string, userId: string) => toUser(c.stmt(`SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = ? AND user_id = ?`).get(tenantId, userId) as UserDbRow | undefined);
const userByTokenHash = (c: Conn, hash: string) => toUser(c.stmt(`SELECT ${USER_COLUMNS} FROM users WHERE token_hash = ?`).get(hash) as UserDbRow | undefined);

/** A unique index refused the write: another user holds that token or runtime (a race the service's checks lost). */
function uniqueViolation(err: unknown): never {
  const code = (err as { code?: string }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    throw conflict(/token_hash/.test(String((err as Error).message)) ? 'That token is already in use' : 'Gateway runtime already assigned in this tenant');
  }
  throw err;
}

class SqliteUsersTx implements UsersTx {
  constructor(private readonly c: Conn) {}

  async getUser(tenantId: string, userId: string) {
    return getUser(this.c, tenantId, userId);
  }
  async userByRuntime(tenantId: string, runtimeId: string) {
    return toUser(this.c.stmt(`SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = ? AND runtime_id = ? COLLATE NOCASE`).get(tenantId, runtimeId) as UserDbRow | undefined);
  }
  async userByTokenHash(hash: string) {
    return userByTokenHash(this.c, hash);
  }
  async putUser(u: UserRow) {
    try {
      this.c
        // An upsert on the key only: OR REPLACE would silently delete another user holding the same token or runtime.
        .stmt(
          `INSERT INTO users (${USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (tenant_id, user_id) DO UPDATE SET email = excluded.email, roles_json = excluded.roles_json, scopes_json = excluded.scopes_json,
             enabled = excluded.enabled, runtime_id = excluded.runtime_id, token_hash = excluded.token_hash, created_at = excluded.created_at, updated_at = excluded.updated_at`,
        )
        .run(u.tenant_id, u.user_id, u.email, JSON.stringify(u.roles), JSON.stringify(u.scopes), u.enabled ? 1 : 0, u.runtime_id, u.token_hash, u.created_at, u.updated_at);
    } catch (err) {
      uniqueViolation(err);
    }
  }
  async deleteUser(tenantId: string, userId: string) {
    return this.c.stmt('DELETE FROM users WHERE tenant_id = ? AND user_id = ?').run(tenantId, userId).changes > 0;
  }
  async getReservation(tenantId: string, runtimeId: string) {
    return (this.c.stmt(`SELECT ${RESERVATION_COLUMNS} FROM runtime_reservations WHERE tenant_id = ? AND runtime_id = ?`).get(tenantId, runtimeId) as ReservationRow | undefined) ?? null;
  }
  async putReservation(r: ReservationRow) {
    this.c
      .stmt(`INSERT OR REPLACE INTO runtime_reservations (${RESERVATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(r.tenant_id, r.runtime_id, r.owner_key, r.owner_user_id, r.reason, r.created_at, r.updated_at);
  }
  async deleteReservation(tenantId: string, runtimeId: string) {
    return this.c.stmt('DELETE FROM runtime_reservations WHERE tenant_id = ? AND runtime_id = ?').run(tenantId, runtimeId).changes > 0;
  }
  async deleteSessionsOf(tenantId: string, userId: string) {
    return this.c.stmt('DELETE FROM browser_sessions WHERE tenant_id = ? AND user_id = ?').run(tenantId, userId).changes;
  }
}

export class SqliteUsersStore implements UsersStore {
  constructor(private readonly b: Backend) {}

  tx<T>(fn: (tx: UsersTx) => Promise<T>): Promise<T> {
    return this.b.committer.submit(() => fn(new SqliteUsersTx(this.b.writer)));
  }

  async getUser(tenantId: string, userId: string) {
    return getUser(this.b.reader, tenantId, userId);
  }

  async userByTokenHash(hash: string) {
    return userByTokenHash(this.b.reader, hash);
  }

  async listUsers() {
    return (this.b.reader.stmt(`SELECT ${USER_COLUMNS} FROM users ORDER BY tenant_id, user_id`).all() as UserDbRow[]).map((r) => toUser(r)!);
  }

  async countUsers() {
    return this.b.reader.stmt('SELECT COUNT(*) FROM users').pluck().get() as number;
  }

  async listReservations() {
    return this.b.reader.stmt(`SELECT ${RESERVATION_COLUMNS} FROM runtime_reservations ORDER BY tenant_id, runtime_id`).all() as ReservationRow[];
  }

  insertSession(s: SessionRow, perUserCap: number, nowMs: number): Promise<void> {
    return this.b.committer.submit(() => {
      const w = this.b.writer;
      w.stmt('DELETE FROM browser_sessions WHERE expires_at_ms <= ?').run(nowMs);
      w.stmt(`INSERT INTO browser_sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        s.session_hash, s.tenant_id, s.user_id, s.csrf_hash, s.credential_fingerprint, s.token_fingerprint, s.remember ? 1 : 0, s.created_at, s.expires_at_ms, s.last_seen_ms,
      );
      w.stmt(
        `DELETE FROM browser_sessions WHERE tenant_id = ? AND user_id = ? AND session_hash NOT IN
           (SELECT session_hash FROM browser_sessions WHERE tenant_id = ? AND user_id = ? ORDER BY last_seen_ms DESC, created_at DESC LIMIT ? + 0)`,
      ).run(s.tenant_id, s.user_id, s.tenant_id, s.user_id, perUserCap);
    });
  }

  async getSession(hash: string) {
    return toSession(this.b.reader.stmt(`SELECT ${SESSION_COLUMNS} FROM browser_sessions WHERE session_hash = ?`).get(hash) as any);
  }

  touchSession(hash: string, lastSeenMs: number): Promise<void> {
    return this.b.committer.submit(() => {
      this.b.writer.stmt('UPDATE browser_sessions SET last_seen_ms = ? WHERE session_hash = ?').run(lastSeenMs, hash);
    });
  }

  deleteSession(hash: string): Promise<boolean> {
    return this.b.committer.submit(() => this.b.writer.stmt('DELETE FROM browser_sessions WHERE session_hash = ?').run(hash).changes > 0);
  }
}

/** Everything one runtime scope owns in the database (the blobs are content-addressed and shared). */
export function purgeScope(c: Conn, runtimeId: string): void {
  c.stmt('DELETE FROM ledger_records WHERE run_key IN (SELECT run_key FROM runs WHERE runtime_id = ?)').run(runtimeId);
  c.stmt('DELETE FROM runs WHERE runtime_id = ?').run(runtimeId);
  c.stmt('DELETE FROM commands WHERE runtime_id = ?').run(runtimeId);
  c.stmt('DELETE FROM artifacts WHERE runtime_id = ?').run(runtimeId);
}
