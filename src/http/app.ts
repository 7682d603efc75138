// The HTTP app factory: error mapping, security, OpenAPI, and the /api/gateway routes.
// Routes are thin: validate, call one service, map errors in one place.

import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { installErrorHandling } from './errors.js';
import { answerWhileClosing, protocolErrorOptions } from './protocol-errors.js';
import { capConnections, timeoutOptions } from './connection-limits.js';
import { loadConnectionConfig, type ConnectionConfig } from '../config/connections.js';
import { ensureAuthTokens, loadSecurityConfig, type SecurityConfig } from '../config/security.js';
import { registerSecurity, type Guard } from './security/index.js';
import { requestIdFor } from './security/request-id.js';
import { registerOpenApi } from './openapi.js';
import type { GatewayApp } from './types.js';
import type { DataPlane, Planes } from '../gateway/plane.js';
import { pingRoutes, publicHealthRoutes } from './routes/health.js';
import { ledgerStreamRoutes } from './routes/ledger-stream.js';
import { runRoutes } from './routes/runs.js';
import { ledgerRoutes } from './routes/ledger.js';
import { commandRoutes } from './routes/commands.js';
import { bundleRoutes } from './routes/bundles.js';
import { artifactRoutes } from './routes/artifacts.js';
import { discoveryRoutes } from './routes/discovery.js';
import { discoveryToolRoutes } from './routes/discovery-tools.js';
import { meRoutes } from './routes/me.js';
import { sessionRoutes } from './routes/session.js';
import { adminUserRoutes } from './routes/admin-users.js';
import { jsonDepthCap } from './json-depth.js';
import { pathRedactor } from './redact.js';
import { MAX_PATH_PARAM_CHARS } from '../model/limits.js';
import { reportToStderr } from '../model/fault-streak.js';

export interface AppOptions {
  /** The data planes to serve (the composition root's Gateway). */
  gateway: Planes;
  /** Environment the security policy is read from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Security policy to use instead of reading it from `env`. */
  security?: SecurityConfig;
  /** Connection timeouts and caps to use instead of reading them from `env`. */
  connections?: ConnectionConfig;
  /** Edits the ordered security guards (securityGuards) before they are installed. */
  guards?: (guards: Guard[]) => Guard[];
  logger?: boolean;
  /** Where server faults (storage faults, 500s, audit log failures) are reported; default: stderr. */
  report?: (message: string) => void;
}

export const GATEWAY_PREFIX = '/api/gateway';

export async function buildApp(o: AppOptions): Promise<GatewayApp> {
  const connections = o.connections ?? loadConnectionConfig(o.env ?? process.env);
  const app = Fastify({
    logger: o.logger ?? false,
    ...timeoutOptions(connections),
    ...protocolErrorOptions,
    // Body caps are enforced by the security layer with the reference's limits and messages.
    bodyLimit: 1024 * 1024 * 1024,
    genReqId: requestIdFor,
    // Every id accepted on write fits in a path segment (model/limits.ts); longer segments get 414.
    routerOptions: { maxParamLength: MAX_PATH_PARAM_CHARS },
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as GatewayApp;
  const report = o.report ?? reportToStderr;
  const dataDir = o.gateway.dataDir;
  const endStorageStreak = installErrorHandling(app, report, pathRedactor([dataDir, o.gateway.root.catalog.flowsDir]));
  capConnections(app.server, connections);
  answerWhileClosing(app);
  // Never serve unauthenticated: without configured tokens, use (or create) the bootstrap token file.
  const security = o.security ?? loadSecurityConfig(o.env ?? process.env);
  const { tokens } = await ensureAuthTokens(security, dataDir);
  const hosted = o.gateway.hosted;
  // Hosted mode: the bootstrap admin default/admin gets the operator's token (created once).
  if (hosted?.config.bootstrapAdmin && (hosted.config.bootstrapAdminToken ?? tokens[0])) await hosted.bootstrapAdmin(hosted.config.bootstrapAdminToken ?? tokens[0]!);
  registerSecurity(app, { ...security, tokens }, dataDir, o.guards, report, hosted);
  await registerOpenApi(app);
  // Local mode: every principal works on the root data plane. Hosted mode maps each principal to
  // its own runtime scope here, after the security guards have set req.principal.
  app.decorateRequest('plane', null as unknown as DataPlane);
  app.addHook('onRequest', async (req) => {
    const plane = o.gateway.planeFor(req.principal);
    req.plane = plane instanceof Promise ? await plane : plane;
  });

  await app.register(publicHealthRoutes, { gateway: o.gateway });
  await app.register(
    async (gw) => {
      // Only the gateway surface takes bodies and writes: /api/health pays for neither hook.
      gw.addHook('preValidation', jsonDepthCap(security.maxJsonDepth));
      gw.addHook('onResponse', endStorageStreak);
      await gw.register(pingRoutes);
      await gw.register(meRoutes, { gateway: o.gateway });
      await gw.register(sessionRoutes, { gateway: o.gateway, trustProxy: security.trustProxy });
      await gw.register(adminUserRoutes, { gateway: o.gateway });
      await gw.register(ledgerStreamRoutes, { stallMs: o.gateway.config.sseStallMs });
      await gw.register(runRoutes);
      await gw.register(ledgerRoutes);
      await gw.register(commandRoutes);
      await gw.register(bundleRoutes, { maxBundleBytes: security.maxBundleBytes });
      await gw.register(artifactRoutes);
      await gw.register(discoveryRoutes, { providers: o.gateway.providers, dataDir });
      await gw.register(discoveryToolRoutes);
    },
    { prefix: GATEWAY_PREFIX },
  );
  return app;
}
