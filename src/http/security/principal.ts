// The principal on a gateway request: the model lives on the ground floor (model/principal.ts);
// this adds it to Fastify's request type.

import type { GatewayPrincipal } from '../../model/principal.js';

export { localAdmin, LOOPBACK_READONLY, type GatewayPrincipal } from '../../model/principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; null on public gateway paths and outside /api/gateway. */
    principal: GatewayPrincipal | null;
    /** Set when the principal came from a browser session (hosted mode): its hashes for CSRF and logout. */
    browserSession: { hash: string; csrfHash: string } | null;
  }
}
