// Which data plane a principal works on (spec security §2.6). Hosted mode gives every principal
// its own runtime scope <tenant>/<runtime>; the bootstrap admin keeps the root plane (the data a
// local-mode gateway already had) unless ABSTRACTGATEWAY_ADMIN_USES_DEFAULT_RUNTIME=0.

import { isAdmin, safeComponent, type GatewayPrincipal } from '../model/principal.js';

export interface RuntimeScope {
  tenantId: string;
  runtimeId: string;
  /** The store scope id: `<tenant>:<runtime>` (never equal to the root's, since ':' is not a safe character). */
  key: string;
}

export function runtimeScopeOf(p: GatewayPrincipal, adminUsesDefaultRuntime: boolean): RuntimeScope | 'root' {
  const tenantId = safeComponent(p.tenantId, 'default');
  const runtimeId = safeComponent(p.runtimeId || p.userId, safeComponent(p.userId, 'user'));
  const defaultAdmin = tenantId === 'default' && p.userId === 'admin' && (runtimeId === 'admin' || runtimeId === 'default') && isAdmin(p);
  if (adminUsesDefaultRuntime && defaultAdmin) return 'root';
  return { tenantId, runtimeId, key: `${tenantId}:${runtimeId}` };
}
