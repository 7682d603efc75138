// Hosted mode's registry on PostgreSQL: users, runtime reservations, browser sessions (the
// UsersStore contract in ../types.ts), the same tables as on SQLite. Runtime ids are unique per
// tenant ignoring case through expression indexes on lower(runtime_id).

import { conflict } from '../../errors.js';
import type { ReservationRow, SessionRow, UserRow, UsersStore, UsersTx } from '../types.js';
import { read, sql, transaction, write, type PgBackend, type Queryable } from './backend.js';

interface UserDbRow extends Omit<UserRow, 'roles' | 'scopes'> {
  roles_json: string;
  scopes_json: string;
}

const USER_COLUMNS = 'tenant_id, user_id, email, roles_json, scopes_json, enabled, runtime_id, token_hash, created_at, updated_at';
const RESERVATION_COLUMNS = 'tenant_id, runtime_id, owner_key, owner_user_id, reason, created_at, updated_at';
const SESSION_COLUMNS = 'session_hash, tenant_id, user_id, csrf_hash, credential_fingerprint, token_fingerprint, remember, created_at, expires_at_ms, last_seen_ms';

const toUser = ({ roles_json, scopes_json, ...r }: UserDbRow): UserRow => ({ ...r, roles: JSON.parse(roles_json), scopes: JSON.parse(scopes_json) });
const oneUser = (rows: UserDbRow[]): UserRow | null => (rows[0] ? toUser(rows[0]) : null);

const getUser = async (c: Queryable, tenantId: string, userId: string) =>
  oneUser(await sql<UserDbRow>(c, `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = $1 AND user_id = $2`, [tenantId, userId]));
const userByTokenHash = async (c: Queryable, hash: string) => oneUser(await sql<UserDbRow>(c, `SELECT ${USER_COLUMNS} FROM users WHERE token_hash = $1`, [hash]));

/** A unique index refused the write: another user holds that token or runtime (a race the service's checks lost). */
function uniqueViolation(err: unknown): never {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505') throw conflict(e.constraint === 'users_token' ? 'That token is already in use' : 'Gateway runtime already assigned in this tenant');
  throw err;
}

class PgUsersTx implements UsersTx {
  constructor(private readonly c: Queryable) {}

  getUser(tenantId: string, userId: string) {
    return getUser(this.c, tenantId, userId);
  }
  async userByRuntime(tenantId: string, runtimeId: string) {
    return oneUser(await sql<UserDbRow>(this.c, `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = $1 AND lower(runtime_id) = lower($2)`, [tenantId, runtimeId]));
  }
  userByTokenHash(hash: string) {
    return userByTokenHash(this.c, hash);
  }
  async putUser(u: UserRow) {
    // An upsert on the key only: another user holding the same token or runtime is a conflict.
    await sql(
      this.c,
      `INSERT INTO users (${USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (tenant_id, user_id) DO UPDATE SET email = excluded.email, roles_json = excluded.roles_json, scopes_json = excluded.scopes_json,
         enabled = excluded.enabled, runtime_id = excluded.runtime_id, token_hash = excluded.token_hash, created_at = excluded.created_at, updated_at = excluded.updated_at`,
      [u.tenant_id, u.user_id, u.email, JSON.stringify(u.roles), JSON.stringify(u.scopes), u.enabled, u.runtime_id, u.token_hash, u.created_at, u.updated_at],
    ).catch(uniqueViolation);
  }
  async deleteUser(tenantId: string, userId: string) {
    return (await sql(this.c, 'DELETE FROM users WHERE tenant_id = $1 AND user_id = $2 RETURNING 1', [tenantId, userId])).length > 0;
  }
  async getReservation(tenantId: string, runtimeId: string) {
    const rows = await sql<ReservationRow>(this.c, `SELECT ${RESERVATION_COLUMNS} FROM runtime_reservations WHERE tenant_id = $1 AND lower(runtime_id) = lower($2)`, [tenantId, runtimeId]);
    return rows[0] ?? null;
  }
  async putReservation(r: ReservationRow) {
    // Replace whatever reservation holds this runtime id (ignoring case), as INSERT OR REPLACE does on SQLite.
    await sql(this.c, 'DELETE FROM runtime_reservations WHERE tenant_id = $1 AND lower(runtime_id) = lower($2)', [r.tenant_id, r.runtime_id]);
    await sql(this.c, `INSERT INTO runtime_reservations (${RESERVATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      r.tenant_id, r.runtime_id, r.owner_key, r.owner_user_id, r.reason, r.created_at, r.updated_at,
    ]);
  }
  async deleteReservation(tenantId: string, runtimeId: string) {
    return (await sql(this.c, 'DELETE FROM runtime_reservations WHERE tenant_id = $1 AND lower(runtime_id) = lower($2) RETURNING 1', [tenantId, runtimeId])).length > 0;
  }
  async deleteSessionsOf(tenantId: string, userId: string) {
    return (await sql(this.c, 'DELETE FROM browser_sessions WHERE tenant_id = $1 AND user_id = $2 RETURNING 1', [tenantId, userId])).length;
  }
}

export class PgUsersStore implements UsersStore {
  constructor(private readonly b: PgBackend) {}

  tx<T>(fn: (tx: UsersTx) => Promise<T>): Promise<T> {
    return transaction(this.b, (ctx) => fn(new PgUsersTx(ctx.c)));
  }

  getUser(tenantId: string, userId: string) {
    return read(this.b, (c) => getUser(c, tenantId, userId));
  }

  userByTokenHash(hash: string) {
    return read(this.b, (c) => userByTokenHash(c, hash));
  }

  listUsers() {
    return read(this.b, async (c) => (await sql<UserDbRow>(c, `SELECT ${USER_COLUMNS} FROM users ORDER BY tenant_id, user_id`)).map(toUser));
  }

  countUsers() {
    return read(this.b, async (c) => Number((await sql<{ n: string }>(c, 'SELECT COUNT(*) AS n FROM users'))[0]!.n));
  }

  listReservations() {
    return read(this.b, (c) => sql<ReservationRow>(c, `SELECT ${RESERVATION_COLUMNS} FROM runtime_reservations ORDER BY tenant_id, runtime_id`));
  }

  insertSession(s: SessionRow, perUserCap: number, nowMs: number): Promise<void> {
    return transaction(this.b, async ({ c }) => {
      await sql(c, 'DELETE FROM browser_sessions WHERE expires_at_ms <= $1', [nowMs]);
      await sql(c, `INSERT INTO browser_sessions (${SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
        s.session_hash, s.tenant_id, s.user_id, s.csrf_hash, s.credential_fingerprint, s.token_fingerprint, s.remember, s.created_at, s.expires_at_ms, s.last_seen_ms,
      ]);
      await sql(
        c,
        `DELETE FROM browser_sessions WHERE tenant_id = $1 AND user_id = $2 AND session_hash NOT IN
           (SELECT session_hash FROM browser_sessions WHERE tenant_id = $1 AND user_id = $2 ORDER BY last_seen_ms DESC, created_at DESC LIMIT $3)`,
        [s.tenant_id, s.user_id, perUserCap],
      );
    });
  }

  getSession(hash: string) {
    return read(this.b, async (c) => (await sql<SessionRow>(c, `SELECT ${SESSION_COLUMNS} FROM browser_sessions WHERE session_hash = $1`, [hash]))[0] ?? null);
  }

  async touchSession(hash: string, lastSeenMs: number): Promise<void> {
    await write(this.b, (c) => sql(c, 'UPDATE browser_sessions SET last_seen_ms = $1 WHERE session_hash = $2', [lastSeenMs, hash]));
  }

  deleteSession(hash: string): Promise<boolean> {
    return write(this.b, async (c) => (await sql(c, 'DELETE FROM browser_sessions WHERE session_hash = $1 RETURNING 1', [hash])).length > 0);
  }
}

/** Everything one runtime scope owns in the database (ledger records go with their runs; blobs are per scope here). */
export async function purgeScope(b: PgBackend, runtimeId: string): Promise<void> {
  await transaction(b, async ({ c }) => {
    await sql(c, 'DELETE FROM runs WHERE runtime_id = $1', [runtimeId]);
    await sql(c, 'DELETE FROM commands WHERE runtime_id = $1', [runtimeId]);
    await sql(c, 'DELETE FROM artifacts WHERE runtime_id = $1', [runtimeId]);
    await sql(c, 'DELETE FROM artifact_blobs WHERE runtime_id = $1', [runtimeId]);
  });
}
