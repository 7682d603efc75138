// The HTTP app factory: error mapping, security, OpenAPI, and the /api/gateway routes.
// Routes are thin: validate, call one service, map errors in one place.

import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Host } from '../gateway/host.js';
import { installErrorHandling } from './errors.js';
import type { GatewayApp } from './types.js';
import { pingRoutes, publicHealthRoutes } from './routes/health.js';
import { ledgerStreamRoutes } from './routes/ledger-stream.js';

export interface AppOptions {
  plane: Host;
  /** Environment the security policy is read from (default: process.env). */
  env?: Record<string, string | undefined>;
  logger?: boolean;
}

export const GATEWAY_PREFIX = '/api/gateway';

export async function buildApp(o: AppOptions): Promise<GatewayApp> {
  const app = Fastify({
    logger: o.logger ?? false,
    // Body caps are enforced by the security layer with the reference's limits and messages.
    bodyLimit: 1024 * 1024 * 1024,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as GatewayApp;
  installErrorHandling(app);
  app.decorateRequest('plane', null as unknown as Host);
  app.addHook('onRequest', async (req) => {
    req.plane = o.plane;
  });

  await app.register(publicHealthRoutes);
  await app.register(
    async (gw) => {
      await gw.register(pingRoutes);
      await gw.register(ledgerStreamRoutes);
    },
    { prefix: GATEWAY_PREFIX },
  );
  return app;
}
