// Reachability: the public health probe and the authenticated ping clients log in with.
// /api/health keeps the reference's body while all is well; when the store cannot be written
// (full disk, read-only data dir) it answers 503 {"status": "degraded", "service", "detail"}
// so that load balancers and operators see the fault (spec core-api §1; an extension).

import type { GatewayApp } from '../types.js';
import type { Planes } from '../../gateway/plane.js';
import { nowIso } from '../../model/time.js';

export async function publicHealthRoutes(app: GatewayApp, opts: { gateway: Planes }): Promise<void> {
  app.get('/api/health', { schema: { tags: ['health'], summary: 'Liveness probe (public): 503 "degraded" while the store cannot be written' } }, async (_req, reply) => {
    const store = await opts.gateway.storeHealth();
    if (store.writable) return { status: 'healthy', service: 'abstractgateway' };
    return reply.code(503).send({ status: 'degraded', service: 'abstractgateway', detail: store.detail, since: store.since });
  });
}

export async function pingRoutes(app: GatewayApp): Promise<void> {
  app.get('/ping', { schema: { tags: ['health'], summary: 'Authenticated reachability probe' } }, async () => ({
    ok: true,
    status: 'healthy',
    service: 'abstractgateway',
    time: nowIso(),
  }));
}
