// Reachability: the public health probe and the authenticated ping clients log in with.

import type { GatewayApp } from '../types.js';
import { nowIso } from '../../model/time.js';

export async function publicHealthRoutes(app: GatewayApp): Promise<void> {
  app.get('/api/health', { schema: { tags: ['health'], summary: 'Liveness probe (public)' } }, async () => ({ status: 'healthy', service: 'abstractgateway' }));
}

export async function pingRoutes(app: GatewayApp): Promise<void> {
  app.get('/ping', { schema: { tags: ['health'], summary: 'Authenticated reachability probe' } }, async () => ({
    ok: true,
    status: 'healthy',
    service: 'abstractgateway',
    time: nowIso(),
  }));
}
