// Filling the users registry at start (spec security §3.1, §3.5): a reference `auth/users.json`
// (version 2) is imported while the store has no users, and the bootstrap admin default/admin
// (runtime `default`, the root data plane) is created when missing. It is never re-enabled or
// re-promoted on later starts: an operator's disable sticks (spec §8 W13).

import { readFile } from 'node:fs/promises';
import { isoFromMs, parseIsoMs } from '../model/time.js';
import { safeComponent } from '../model/principal.js';
import type { ReservationRow, UserRow } from '../store/types.js';
import { validEmail, type UsersRegistry } from './users.js';

export const BOOTSTRAP_TENANT = 'default';
export const BOOTSTRAP_USER = 'admin';
export const BOOTSTRAP_RUNTIME = 'default';

const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : []).map((s) => String(s).trim()).filter(Boolean);

const iso = (v: unknown, dflt: string): string => (typeof v === 'string' && Number.isFinite(parseIsoMs(v)) ? v : dflt);

/** One reference user record in the registry's shape; throws on a record the reference would refuse. */
function importedUser(raw: any, index: number, now: string): UserRow {
  const userId = safeComponent(raw?.user_id, '');
  if (!userId) throw new Error(`user #${index + 1}: user_id is required`);
  if (typeof raw.token_hash !== 'string' || !raw.token_hash) throw new Error(`user ${userId}: token_hash is missing`);
  const created = iso(raw.created_at, now);
  return {
    tenant_id: safeComponent(raw.tenant_id, 'default'),
    user_id: userId,
    email: validEmail(raw.email),
    roles: list(raw.roles).length ? list(raw.roles) : ['user'],
    scopes: list(raw.scopes),
    enabled: raw.enabled === undefined ? true : raw.enabled !== false,
    runtime_id: safeComponent(raw.runtime_id || userId, userId),
    token_hash: raw.token_hash,
    created_at: created,
    updated_at: iso(raw.updated_at, created),
  };
}

function importedReservation(raw: any, now: string): ReservationRow | null {
  const tenant = safeComponent(raw?.tenant_id, 'default');
  const runtime = safeComponent(raw?.runtime_id, '');
  const ownerUser = safeComponent(raw?.owner_user_id, '');
  const ownerKey = typeof raw?.owner_key === 'string' && raw.owner_key ? raw.owner_key : ownerUser ? `${tenant}:${ownerUser}` : '';
  if (!runtime || !ownerKey) return null; // the reference skips these silently
  const created = iso(raw.created_at, now);
  return { tenant_id: tenant, runtime_id: runtime, owner_key: ownerKey, owner_user_id: ownerUser || ownerKey.split(':').pop()!, reason: raw.reason || 'deleted-user', created_at: created, updated_at: iso(raw.updated_at, created) };
}

/**
 * Imports `file` when the registry is empty; returns the number of users imported (0 when there
 * was nothing to do). Reference PBKDF2 hashes are kept and upgraded at each user's next sign-in.
 */
export async function importReferenceUsers(registry: UsersRegistry, file: string, nowMs: number): Promise<number> {
  if ((await registry.store.countUsers()) > 0) return 0;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  const now = isoFromMs(nowMs);
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  let users: UserRow[];
  try {
    users = (Array.isArray(doc?.users) ? doc.users : []).map((u: unknown, i: number) => importedUser(u, i, now));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const reservations = (Array.isArray(doc?.runtime_reservations) ? doc.runtime_reservations : []).map((r: unknown) => importedReservation(r, now)).filter(Boolean) as ReservationRow[];
  await registry.store.tx(async (tx) => {
    for (const u of users) await tx.putUser(u);
    for (const r of reservations) await tx.putReservation(r);
  });
  return users.length;
}

export interface BootstrapResult {
  created: boolean;
  user: UserRow;
}

/** Creates default/admin with `token` when it does not exist; an existing admin is left as it is. */
export async function ensureBootstrapAdmin(registry: UsersRegistry, token: string): Promise<BootstrapResult> {
  const existing = await registry.store.getUser(BOOTSTRAP_TENANT, BOOTSTRAP_USER);
  if (existing) return { created: false, user: existing };
  const { user } = await registry.create(
    { user_id: BOOTSTRAP_USER, tenant_id: BOOTSTRAP_TENANT, roles: ['admin', 'user'], runtime_id: BOOTSTRAP_RUNTIME, token },
    { operatorToken: true },
  );
  return { created: true, user };
}
