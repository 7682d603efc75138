// GET /api/gateway/me (spec security §2.5): who the caller is and how the gateway routes them.
// Clients (AbstractFlow, AbstractObserver, the console) call it after connecting.

import { GatewayError } from '../../errors.js';
import { publicPrincipal, type GatewayPrincipal } from '../../model/principal.js';
import type { Planes } from '../../gateway/plane.js';
import type { GatewayApp } from '../types.js';

/** The `auth` and `routing` blocks shared by /me and /session/login. */
export function modeBlocks(hosted: boolean) {
  return {
    auth: { mode: hosted ? 'users' : 'legacy-token', user_auth_enabled: hosted },
    routing: { mode: hosted ? 'per-principal' : 'single-user', one_user_one_runtime: hosted },
  };
}

/** The request's principal; a handler reached without one fails closed (spec §2.4). */
export function principalOf(p: GatewayPrincipal | null): GatewayPrincipal {
  if (!p) throw new GatewayError('GW_ERR_UNAUTHORIZED', 'Gateway principal unavailable');
  return p;
}

export async function meRoutes(app: GatewayApp, opts: { gateway: Planes }): Promise<void> {
  app.get('/me', { schema: { tags: ['auth'], summary: 'The caller: principal, auth mode, routing mode' } }, async (req) => ({
    ok: true,
    principal: publicPrincipal(principalOf(req.principal)),
    ...modeBlocks(opts.gateway.hosted !== null),
  }));
}
