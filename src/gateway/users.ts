// The users registry (spec security §3): who may sign in, with which token, on which runtime.
// Rules are the reference's (§3.4) with the §8 fixes: tokens hashed for O(1) lookup, chosen
// tokens long and unique, runtime ids unique per tenant ignoring case, tenant `local` reserved
// for the shared-token principal (W23), sessions revoked at once on rotation, disable and delete
// (W7), the bootstrap admin only ever created, never silently re-enabled (W13).

import { GatewayError, invalid, notFound } from '../errors.js';
import { MIN_CHOSEN_TOKEN_CHARS, isLegacyHash, newUserToken, userTokenHash, verifyLegacyHash } from '../model/credentials.js';
import { safeComponent, type GatewayPrincipal } from '../model/principal.js';
import { isoFromMs, type Clock } from '../model/time.js';
import type { ReservationRow, UserRow, UsersStore, UsersTx } from '../store/types.js';

export interface NewUser {
  user_id: string;
  tenant_id?: string;
  email?: string | null;
  roles?: string[];
  scopes?: string[];
  enabled?: boolean;
  runtime_id?: string | null;
  token?: string | null;
}

export interface UserPatch {
  email?: string | null;
  roles?: string[];
  scopes?: string[];
  enabled?: boolean;
  runtime_id?: string | null;
  /** A chosen new token; `rotate` without it generates one. */
  token?: string | null;
  rotate?: boolean;
}

/** The public form of a user (spec §3.1): never the hash. */
export const publicUser = (u: UserRow) => ({
  user_id: u.user_id,
  tenant_id: u.tenant_id,
  email: u.email,
  roles: u.roles.length ? u.roles : ['user'],
  scopes: u.scopes,
  enabled: u.enabled,
  runtime_id: u.runtime_id,
  created_at: u.created_at,
  updated_at: u.updated_at,
});

export const userKey = (tenantId: string, userId: string) => `${tenantId}:${userId}`;

/** A registry user's principal (roles, runtime as stored now). */
export const userPrincipal = (u: UserRow, tokenFp: string): GatewayPrincipal => ({
  userId: u.user_id,
  tenantId: u.tenant_id,
  roles: u.roles.length ? u.roles : ['user'],
  scopes: u.scopes,
  tokenFingerprint: tokenFp,
  runtimeId: u.runtime_id,
  source: 'user-registry',
});

const RESERVED_TENANT = 'local';

/** Email is display-only metadata (spec §3.3). */
export function validEmail(raw: string | null | undefined): string {
  const v = (raw ?? '').trim();
  if (!v) return '';
  const at = v.lastIndexOf('@');
  if (v.length > 254 || at <= 0 || !v.slice(0, at).trim() || !v.slice(at + 1).includes('.')) throw invalid('email must be empty or a valid email address');
  return v;
}

function chosenToken(token: string): string {
  const t = token.trim();
  if (t.length < MIN_CHOSEN_TOKEN_CHARS) throw invalid(`token must be at least ${MIN_CHOSEN_TOKEN_CHARS} characters (or omit it to get a generated one)`);
  return t;
}

const cleanList = (v: string[] | undefined) => [...new Set((v ?? []).map((s) => String(s).trim()).filter(Boolean))];

export class UsersRegistry {
  constructor(
    readonly store: UsersStore,
    private readonly clock: Clock,
  ) {}

  private now(): string {
    return isoFromMs(this.clock.nowMs());
  }

  /** A bearer token → the enabled user holding it (one hash, one index probe), else null. */
  async authenticate(token: string): Promise<UserRow | null> {
    const user = await this.store.userByTokenHash(userTokenHash(token));
    return user?.enabled ? user : null;
  }

  /**
   * Sign-in check for one named user (spec §8 W4: only that user's hash is verified). A reference
   * PBKDF2 hash is verified off the event loop once and replaced by the indexed form.
   */
  async verifyUserToken(tenantId: string, userId: string, token: string): Promise<UserRow | null> {
    const user = await this.store.getUser(safeComponent(tenantId), safeComponent(userId, ''));
    if (!user?.enabled) return null;
    if (!isLegacyHash(user.token_hash)) return user.token_hash === userTokenHash(token) ? user : null;
    if (!(await verifyLegacyHash(token, user.token_hash))) return null;
    const upgraded = { ...user, token_hash: userTokenHash(token), updated_at: this.now() };
    await this.store.tx(async (tx) => {
      const current = await tx.getUser(user.tenant_id, user.user_id);
      if (current?.token_hash === user.token_hash) await tx.putUser(upgraded);
    });
    return upgraded;
  }

  async get(tenantId: string, userId: string): Promise<UserRow> {
    const u = await this.store.getUser(safeComponent(tenantId), safeComponent(userId, ''));
    if (!u) throw notFound('Gateway user not found');
    return u;
  }

  list(): Promise<UserRow[]> {
    return this.store.listUsers();
  }

  /** Create a user; returns the record and the raw token (shown once). */
  /** `operatorToken`: the token comes from the operator's environment (bootstrap), not a request: no length rule. */
  async create(n: NewUser, opts: { operatorToken?: boolean } = {}): Promise<{ user: UserRow; token: string }> {
    const userId = safeComponent(n.user_id, '');
    if (!userId) throw invalid('user_id is required');
    const tenantId = safeComponent(n.tenant_id, 'default');
    if (tenantId === RESERVED_TENANT) throw invalid(`tenant '${RESERVED_TENANT}' is reserved for the shared-token principal`);
    const token = n.token ? (opts.operatorToken ? n.token.trim() : chosenToken(n.token)) : newUserToken();
    const runtimeId = safeComponent(n.runtime_id || userId, '');
    const now = this.now();
    const user: UserRow = {
      tenant_id: tenantId,
      user_id: userId,
      email: validEmail(n.email),
      roles: cleanList(n.roles).length ? cleanList(n.roles) : ['user'],
      scopes: cleanList(n.scopes),
      enabled: n.enabled ?? true,
      runtime_id: runtimeId,
      token_hash: userTokenHash(token),
      created_at: now,
      updated_at: now,
    };
    await this.store.tx(async (tx) => {
      if (await tx.getUser(tenantId, userId)) throw invalid(`Gateway user already exists: ${tenantId}/${userId}`);
      await assertRuntimeFree(tx, tenantId, runtimeId, userKey(tenantId, userId));
      await assertTokenFree(tx, user.token_hash);
      await tx.putUser(user);
      await tx.deleteReservation(tenantId, runtimeId); // the owner reclaiming it
    });
    return { user, token };
  }

  /** Update a user; `token` is set when a token was chosen or rotated (returned once). */
  async update(tenantIdRaw: string, userIdRaw: string, p: UserPatch): Promise<{ user: UserRow; token?: string; previousRuntime: string }> {
    const tenantId = safeComponent(tenantIdRaw, 'default');
    const userId = safeComponent(userIdRaw, '');
    const token = p.token ? chosenToken(p.token) : p.rotate ? newUserToken() : undefined;
    return this.store.tx(async (tx) => {
      const cur = await tx.getUser(tenantId, userId);
      if (!cur) throw notFound('Gateway user not found');
      const now = this.now();
      const next: UserRow = {
        ...cur,
        email: p.email === undefined ? cur.email : validEmail(p.email),
        roles: p.roles === undefined ? cur.roles : cleanList(p.roles),
        scopes: p.scopes === undefined ? cur.scopes : cleanList(p.scopes),
        enabled: p.enabled ?? cur.enabled,
        runtime_id: safeComponent(p.runtime_id || cur.runtime_id, cur.runtime_id),
        token_hash: token === undefined ? cur.token_hash : userTokenHash(token),
        updated_at: now,
      };
      await assertRuntimeFree(tx, tenantId, next.runtime_id, userKey(tenantId, userId));
      if (token !== undefined) await assertTokenFree(tx, next.token_hash);
      if (next.runtime_id !== cur.runtime_id) await reserve(tx, cur, 'runtime-reassigned', now);
      await tx.deleteReservation(tenantId, next.runtime_id);
      await tx.putUser(next);
      // A new token, a disabled account or another runtime ends every browser session at once.
      if (token !== undefined || (cur.enabled && !next.enabled) || next.runtime_id !== cur.runtime_id) await tx.deleteSessionsOf(tenantId, userId);
      return { user: next, token, previousRuntime: cur.runtime_id };
    });
  }

  /** Delete a user: its runtime id stays reserved for it (deleted-user). Returns the deleted record. */
  async delete(tenantIdRaw: string, userIdRaw: string): Promise<UserRow> {
    const tenantId = safeComponent(tenantIdRaw, 'default');
    const userId = safeComponent(userIdRaw, '');
    return this.store.tx(async (tx) => {
      const cur = await tx.getUser(tenantId, userId);
      if (!cur) throw notFound('Gateway user not found');
      await tx.deleteUser(tenantId, userId);
      await tx.deleteSessionsOf(tenantId, userId);
      await reserve(tx, cur, 'deleted-user', this.now());
      return cur;
    });
  }

  listReservations(): Promise<ReservationRow[]> {
    return this.store.listReservations();
  }

  /** Crash marker before a purge deletes data: a purge that dies midway stays `purging` and can be retried. */
  markPurging(tenantId: string, runtimeId: string): Promise<ReservationRow> {
    return this.store.tx(async (tx) => {
      const r = await tx.getReservation(tenantId, runtimeId);
      if (!r) throw notFound(`Gateway runtime reservation not found: ${tenantId}/${runtimeId}`);
      await assertNotHeld(tx, tenantId, runtimeId);
      const marked = { ...r, reason: 'purging', updated_at: this.now() };
      await tx.putReservation(marked);
      return marked;
    });
  }

  async releaseReservation(tenantId: string, runtimeId: string): Promise<boolean> {
    return this.store.tx(async (tx) => {
      await assertNotHeld(tx, tenantId, runtimeId);
      return tx.deleteReservation(tenantId, runtimeId);
    });
  }

  /** Give a retained runtime to a user of the same tenant; the user's previous runtime is reserved for it. */
  async transfer(tenantId: string, runtimeId: string, targetUserId: string): Promise<{ user: UserRow; reservation: ReservationRow; previousRuntime: string }> {
    if (!runtimeId) throw invalid('runtime_id is required');
    if (!targetUserId) throw invalid('target_user_id is required');
    return this.store.tx(async (tx) => {
      const r = await tx.getReservation(tenantId, runtimeId);
      if (!r) throw notFound(`Gateway runtime reservation not found: ${tenantId}/${runtimeId}`);
      if (r.reason === 'purging') throw invalid(`Gateway runtime purge is already in progress: ${tenantId}/${r.runtime_id}`);
      const target = await tx.getUser(tenantId, targetUserId);
      if (!target) throw notFound(`Gateway user not found: ${tenantId}/${targetUserId}`);
      await assertNotHeld(tx, tenantId, runtimeId);
      const now = this.now();
      const previousRuntime = target.runtime_id;
      await tx.deleteReservation(tenantId, runtimeId);
      if (previousRuntime.toLowerCase() !== r.runtime_id.toLowerCase()) await reserve(tx, target, 'runtime-transferred', now);
      const user = { ...target, runtime_id: r.runtime_id, updated_at: now };
      await tx.putUser(user);
      await tx.deleteSessionsOf(tenantId, target.user_id);
      return { user, reservation: r, previousRuntime };
    });
  }
}

async function reserve(tx: UsersTx, owner: UserRow, reason: string, now: string): Promise<void> {
  const existing = await tx.getReservation(owner.tenant_id, owner.runtime_id);
  await tx.putReservation({
    tenant_id: owner.tenant_id,
    runtime_id: owner.runtime_id,
    owner_key: userKey(owner.tenant_id, owner.user_id),
    owner_user_id: owner.user_id,
    reason,
    created_at: existing?.created_at ?? now,
    updated_at: now,
  });
}

/** Availability (spec §3.4): no other user of the tenant holds it, and no one else's reservation retains it. */
async function assertRuntimeFree(tx: UsersTx, tenantId: string, runtimeId: string, ownerKey: string): Promise<void> {
  if (!runtimeId) throw invalid('runtime_id is required');
  const holder = await tx.userByRuntime(tenantId, runtimeId);
  if (holder && userKey(holder.tenant_id, holder.user_id) !== ownerKey) throw invalid(`Gateway runtime already assigned in tenant ${tenantId}: ${runtimeId}`);
  const reserved = await tx.getReservation(tenantId, runtimeId);
  if (reserved && reserved.owner_key !== ownerKey) throw invalid(`Gateway runtime already assigned or retained in tenant ${tenantId}: ${runtimeId}`);
}

async function assertNotHeld(tx: UsersTx, tenantId: string, runtimeId: string): Promise<void> {
  const holder = await tx.userByRuntime(tenantId, runtimeId);
  if (holder) throw new GatewayError('GW_ERR_CONFLICT', `Gateway runtime is assigned to active user ${holder.tenant_id}/${holder.user_id}`);
}

async function assertTokenFree(tx: UsersTx, tokenHash: string): Promise<void> {
  if (await tx.userByTokenHash(tokenHash)) throw invalid('token is already in use by another user');
}

