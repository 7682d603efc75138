// Step 10 (spec security §5.1): the admin-only route families, as data. A request whose path
// falls in a family needs a principal with the admin role; user scopes unlock nothing. Handlers
// of /admin routes check again (a second line of defence).

import { GatewayError } from '../../../errors.js';
import { isAdmin } from '../../../model/principal.js';
import type { Guard } from './guard.js';

interface Family {
  resource: string;
  prefixes?: string[];
  exact?: string[];
  pattern?: RegExp;
  /** Only these methods (default: all). */
  methods?: Set<string>;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const P = '/api/gateway';

export const ADMIN_FAMILIES: readonly Family[] = [
  { resource: 'admin', prefixes: [`${P}/admin`] },
  { resource: 'audit', prefixes: [`${P}/audit`] },
  { resource: 'processes', prefixes: [`${P}/processes`] },
  { resource: 'backlog', prefixes: [`${P}/backlog`] },
  { resource: 'triage', prefixes: [`${P}/triage`] },
  { resource: 'reports', prefixes: [`${P}/reports`] },
  { resource: 'email', prefixes: [`${P}/email`] },
  { resource: 'host', prefixes: [`${P}/host`] },
  { resource: 'models', exact: [`${P}/models/loaded`, `${P}/models/load`, `${P}/models/unload`] },
  { resource: 'workspace', prefixes: [`${P}/files`], exact: [`${P}/artifacts/import`, `${P}/attachments/ingest`], pattern: /^\/api\/gateway\/runs\/[^/]+\/artifacts\/[^/]+\/export$/ },
  { resource: 'blocs', prefixes: [`${P}/blocs`], methods: WRITES },
  { resource: 'prompt_cache', prefixes: [`${P}/prompt_cache`], methods: WRITES },
];

/** The admin-only family a request falls in, if any. */
export function adminFamily(method: string, rawPath: string): string | undefined {
  // Collapse repeated slashes and drop a trailing one, so `//admin/` is still /admin (spec §8 W17).
  const path = rawPath.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
  for (const f of ADMIN_FAMILIES) {
    if (f.methods && !f.methods.has(method)) continue;
    if (f.exact?.includes(path) || f.prefixes?.some((p) => path === p || path.startsWith(`${p}/`)) || f.pattern?.test(path)) return f.resource;
  }
  return undefined;
}

export const adminRequired = (resource: string, method: string) =>
  new GatewayError('GW_ERR_FORBIDDEN', 'Admin principal required', {
    fields: { reason_code: 'admin_required', required_role: 'admin', resource_class: resource, action: WRITES.has(method) ? 'write' : 'read' },
  });

export const routeFamilyGuard: Guard = {
  name: 'route-family',
  check(req, _reply, ctx) {
    const resource = adminFamily(ctx.method, ctx.path);
    if (resource && !isAdmin(req.principal)) return adminRequired(resource, ctx.method);
  },
};
