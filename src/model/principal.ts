// The identity attached to a gateway request (spec security §2.1–2.2) and the safe path component
// every user, tenant and runtime id passes through (§0.3). On the ground floor so the HTTP guards,
// the users registry and the composition root (which maps a principal to its data plane) share it.

export interface GatewayPrincipal {
  userId: string;
  tenantId: string;
  roles: string[];
  scopes: string[];
  /** First 12 hex of sha256(token) of the credential used; "" when none was presented. */
  tokenFingerprint: string;
  runtimeId: string;
  source: 'local' | 'legacy-token' | 'user-registry' | 'loopback-dev-read';
}

export function localAdmin(tokenFingerprint = ''): GatewayPrincipal {
  return { userId: 'local-admin', tenantId: 'local', roles: ['admin', 'user'], scopes: ['*'], tokenFingerprint, runtimeId: 'local-admin', source: 'legacy-token' };
}

export const LOOPBACK_READONLY: GatewayPrincipal = Object.freeze({
  userId: 'loopback-readonly',
  tenantId: 'local',
  roles: ['readonly'],
  scopes: ['gateway:read'],
  tokenFingerprint: '',
  runtimeId: 'loopback-readonly',
  source: 'loopback-dev-read',
}) as GatewayPrincipal;

export const isAdmin = (p: GatewayPrincipal | null | undefined): boolean => !!p && p.roles.includes('admin');

/** The JSON form returned by /me and /session/login (spec §2.1). */
export function publicPrincipal(p: GatewayPrincipal) {
  return {
    user_id: p.userId,
    tenant_id: p.tenantId,
    roles: p.roles,
    scopes: p.scopes,
    token_fingerprint: p.tokenFingerprint,
    runtime_id: p.runtimeId || p.userId,
    source: p.source,
    admin: isAdmin(p),
  };
}

/**
 * safePrincipalComponent (spec §0.3): runs of characters outside [A-Za-z0-9_.@-] become one `_`,
 * leading/trailing `.` and `_` are stripped; empty → the fallback. `"../x"` → `x`, `".."` → fallback.
 */
export function safeComponent(value: unknown, fallback = 'default'): string {
  const raw = String(value ?? '').trim();
  if (!raw) return fallback;
  const out = raw.replace(/[^A-Za-z0-9_.@-]+/g, '_').replace(/^[._]+|[._]+$/g, '');
  return out || fallback;
}
