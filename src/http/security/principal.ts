// The identity attached to a gateway request (spec security §2.1–2.2). Local mode knows two
// principals; hosted mode (users registry, sessions) will add more sources.

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

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; null on public gateway paths and outside /api/gateway. */
    principal: GatewayPrincipal | null;
  }
}
