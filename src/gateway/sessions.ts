// Browser sessions (spec security §4) kept in the Store: only sha256 of the session id and of the
// CSRF token are stored (a database reader cannot hijack a session, §8 W6), each user keeps at
// most N sessions (one user cannot evict everyone else's), and every use re-reads the user, so a
// disabled, deleted or re-keyed user is signed out everywhere at once. The cookie value is
// `agws_<256-bit id>`: with hashed storage the reference's HMAC suffix protects nothing, so it
// is dropped (the prefix clients look for stays).

import { GatewayError } from '../errors.js';
import { credentialFingerprint, newCsrfToken, newSessionId, sameDigest, sha256Hex, tokenFingerprint } from '../model/credentials.js';
import type { GatewayPrincipal } from '../model/principal.js';
import { isoFromMs, type Clock } from '../model/time.js';
import type { UserRow, UsersStore } from '../store/types.js';
import { userPrincipal, type UsersRegistry } from './users.js';

export interface SessionSettings {
  sessionTtlS: number;
  rememberSessionTtlS: number;
  maxSessionsPerUser: number;
}

export interface NewSession {
  principal: GatewayPrincipal;
  /** Cookie / header value; returned to the client once, in Set-Cookie only. */
  value: string;
  csrf: string;
  expiresAtMs: number;
}

export interface ActiveSession {
  principal: GatewayPrincipal;
  sessionHash: string;
  csrfHash: string;
}

const PREFIX = 'agws_';
/** last_seen_at is written at most this often per session (no write per request, spec §8 W6). */
const TOUCH_EVERY_MS = 60_000;

/** `agws_<id>` or a raw id (header form for server-to-server clients) → the id, else null. */
export function sessionIdOf(value: string | undefined): string | null {
  const v = (value ?? '').trim();
  const id = v.startsWith(PREFIX) ? v.slice(PREFIX.length) : v;
  return /^[A-Za-z0-9_-]{16,256}$/.test(id) ? id : null;
}

export const invalidCredentials = () => new GatewayError('GW_ERR_UNAUTHORIZED', 'Invalid Gateway user token');

export class SessionService {
  constructor(
    private readonly registry: UsersRegistry,
    private readonly store: UsersStore,
    private readonly clock: Clock,
    private readonly settings: SessionSettings,
  ) {}

  /**
   * Sign-in with a user id and that user's token. Every failure is the same 401 (the reference
   * told a caller whose token it had guessed, §8 W4); shared tokens never open a session.
   */
  async login(userId: string, token: string, remember: boolean, tenantId?: string): Promise<NewSession> {
    const user = await this.resolve(userId.trim(), token, tenantId);
    if (!user) throw invalidCredentials();
    const now = this.clock.nowMs();
    const id = newSessionId();
    const csrf = newCsrfToken();
    const expiresAtMs = now + 1000 * (remember ? this.settings.rememberSessionTtlS : this.settings.sessionTtlS);
    const tokenFp = tokenFingerprint(token);
    await this.store.insertSession(
      {
        session_hash: sha256Hex(id),
        tenant_id: user.tenant_id,
        user_id: user.user_id,
        csrf_hash: sha256Hex(csrf),
        credential_fingerprint: credentialFingerprint(user.token_hash),
        token_fingerprint: tokenFp,
        remember,
        created_at: isoFromMs(now),
        expires_at_ms: expiresAtMs,
        last_seen_ms: now,
      },
      this.settings.maxSessionsPerUser,
      now,
    );
    return { principal: userPrincipal(user, tokenFp), value: PREFIX + id, csrf, expiresAtMs };
  }

  /** The indexed token lookup first; a user still on a reference PBKDF2 hash is verified by name. */
  private async resolve(userId: string, token: string, tenantId?: string): Promise<UserRow | null> {
    if (!userId || !token) return null;
    const byToken = await this.registry.authenticate(token);
    if (byToken) return byToken.user_id === userId && (tenantId === undefined || byToken.tenant_id === tenantId) ? byToken : null;
    return this.registry.verifyUserToken(tenantId ?? 'default', userId, token);
  }

  /** The session behind a cookie/header value, or null (expired, revoked, user disabled or re-keyed). */
  async authenticate(value: string | undefined): Promise<ActiveSession | null> {
    const id = sessionIdOf(value);
    if (!id) return null;
    const hash = sha256Hex(id);
    const s = await this.store.getSession(hash);
    if (!s) return null;
    const now = this.clock.nowMs();
    const user = s.expires_at_ms > now ? await this.store.getUser(s.tenant_id, s.user_id) : null;
    if (!user?.enabled || credentialFingerprint(user.token_hash) !== s.credential_fingerprint) {
      await this.store.deleteSession(hash);
      return null;
    }
    if (now - s.last_seen_ms >= TOUCH_EVERY_MS) await this.store.touchSession(hash, now);
    return { principal: userPrincipal(user, s.token_fingerprint), sessionHash: hash, csrfHash: s.csrf_hash };
  }

  /** Ends the session behind `value`; whether one existed. */
  async logout(value: string | undefined): Promise<boolean> {
    const id = sessionIdOf(value);
    return id ? this.store.deleteSession(sha256Hex(id)) : false;
  }
}

/** The CSRF header matches the session's stored hash (constant time). */
export const csrfMatches = (header: string | undefined, csrfHash: string): boolean => !!header?.trim() && sameDigest(sha256Hex(header.trim()), csrfHash);
