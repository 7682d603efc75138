// The security pipeline for /api/gateway (spec security §1.3), as Fastify hooks:
//   every path:   x-request-id header → CORS (preflights answered here, before auth)
//   /api/gateway: the guards of securityGuards() in order; audit of writes when the response closes.
// CSRF and route-family authorization (steps 9–10) sit between 'auth' and 'body-cap'.

import type { FastifyRequest } from 'fastify';
import type { SecurityConfig } from '../../config/security.js';
import { sendError } from '../errors.js';
import type { GatewayApp } from '../types.js';
import { AuditLog, auditEntry } from './audit.js';
import { capStream } from './body-limit.js';
import { clientIp } from './client.js';
import { corsHook } from './cors.js';
import { Lockout } from './lockout.js';
import { originAllowlist } from './origin.js';
import { localAdmin } from './principal.js';
import { authGuard, optionsGuard } from './guards/auth.js';
import { bodyCapGuard } from './guards/body-cap.js';
import { concurrencyGuard } from './guards/concurrency.js';
import { csrfGuard } from './guards/csrf.js';
import { routeFamilyGuard } from './guards/route-family.js';
import type { HostedServices } from '../../gateway/plane.js';
import { byPhase, PASS, runGuards, type Guard, type GuardContext } from './guards/guard.js';
import { lockoutGuard } from './guards/lockout.js';
import { originGuard } from './guards/origin.js';
import { rateLimitGuard } from './guards/rate-limit.js';

export type { Guard } from './guards/guard.js';

const PREFIX = '/api/gateway';
const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Segment boundary: `/api/gatewayX` is not the gateway (spec §1.1 [FIX]). */
const underPrefix = (p: string | undefined) => !!p && (p === PREFIX || p.startsWith(`${PREFIX}/`));

function decodedPath(url: string): string {
  const raw = url.split('?', 1)[0]!;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * The gateway path of a request, or null when the pipeline does not apply. The matched route
 * pattern is checked as well as the decoded URL so no encoding trick reaches a gateway handler
 * unauthenticated.
 */
function gatewayPath(req: FastifyRequest): string | null {
  const path = decodedPath(req.url);
  return underPrefix(path) || underPrefix(req.routeOptions.url) ? path : null;
}

/**
 * The checks every enabled gateway request passes, in order; the first error is the answer.
 * Each call builds fresh state (lockout, buckets, semaphores), so call it once per app.
 */
export function securityGuards(config: SecurityConfig, hosted: HostedServices | null = null): Guard[] {
  const lockout = new Lockout(config.lockoutAfter, config.lockoutBaseS, config.lockoutMaxS);
  return [
    originGuard(config.allowedOrigins),
    lockoutGuard(lockout),
    ...(config.rateLimitRps > 0 ? [rateLimitGuard(config.rateLimitRps, config.rateLimitBurst, config.rateLimitExemptLoopback)] : []),
    optionsGuard,
    authGuard(config, lockout, hosted),
    ...(hosted ? [csrfGuard(hosted.config.csrfHeader)] : []),
    routeFamilyGuard,
    bodyCapGuard(config),
    concurrencyGuard(config.maxConcurrency, config.maxSse),
  ];
}

/**
 * `editGuards` may reorder or extend the list before it is installed (a step under test, say);
 * `report`: where the audit log reports its own failures.
 */
export function registerSecurity(
  app: GatewayApp,
  config: SecurityConfig,
  dataDir: string,
  editGuards: ((guards: Guard[]) => Guard[]) | undefined,
  report: (message: string) => void,
  hosted: HostedServices | null = null,
): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('browserSession', null);
  app.decorateRequest('bodyLimitBytes', 0);
  app.addHook('onRequest', async (req, reply) => {
    reply.raw.setHeader('x-request-id', req.id);
  });
  app.addHook('onRequest', corsHook(originAllowlist(config.allowedOrigins)));
  warnDevSwitches(app, config);

  if (!config.enabled) {
    // Dev switch: no checks at all; handlers still see a principal (spec §2.4).
    app.addHook('onRequest', async (req) => {
      if (gatewayPath(req)) req.principal = localAdmin();
    });
    return;
  }

  const guards = byPhase(editGuards ? editGuards(securityGuards(config, hosted)) : securityGuards(config, hosted));
  const audit = config.audit.enabled ? new AuditLog(dataDir, config.audit.maxBytes, config.audit.rotations, report) : null;
  const auditHeaders = config.audit.headers.filter((h) => !['authorization', 'cookie', 'x-abstractgateway-session'].includes(h));
  const contexts = new WeakMap<FastifyRequest, GuardContext>();
  const passed = new WeakSet<FastifyRequest>();

  app.addHook('onRequest', async (req, reply) => {
    const path = gatewayPath(req);
    if (path === null) return;
    const held: Array<() => void> = [];
    let closed = false;
    const ctx: GuardContext = {
      started: performance.now(),
      path,
      method: req.method,
      isWrite: WRITE.has(req.method),
      ip: clientIp(req, config.trustProxy),
      authRequired: false,
      hold(release) {
        if (closed) release();
        else held.push(release);
      },
    };
    contexts.set(req, ctx);

    // One close listener frees what the guards hold (the concurrency permit) and audits the
    // outcome, whichever step answered and however long the (possibly streaming) response lived.
    reply.raw.once('close', () => {
      closed = true;
      for (const release of held) release();
      if (audit && ctx.isWrite) audit.write(auditEntry(req, reply, ctx, auditHeaders));
    });

    const verdict = await runGuards(guards.headers, req, reply, ctx);
    if (verdict === PASS) passed.add(req);
    else if (verdict) return sendError(reply, verdict);
  });

  // The body-phase guards, once the body is in and validated (a PASS above skips them too).
  if (guards.body.length > 0) {
    app.addHook('preHandler', async (req, reply) => {
      const ctx = contexts.get(req);
      if (!ctx || passed.has(req)) return;
      const verdict = await runGuards(guards.body, req, reply, ctx);
      if (verdict && verdict !== PASS) return sendError(reply, verdict);
    });
  }

  // Bodies without Content-Length are counted as they stream in; the 413 fires before the
  // handler runs. Pipe (not pipeline) so the socket survives to carry the 413.
  app.addHook('preParsing', async (req, _reply, payload) => {
    if (req.bodyLimitBytes <= 0 || req.headers['content-length'] !== undefined) return payload;
    const cap = capStream(req.bodyLimitBytes);
    payload.on('error', (err) => cap.destroy(err));
    return payload.pipe(cap);
  });

  app.addHook('onError', async (req, _reply, err) => {
    const ctx = contexts.get(req);
    if (ctx && !(typeof err.statusCode === 'number' && err.statusCode < 500)) ctx.error = err.message;
  });
  if (audit) app.addHook('onClose', async () => audit.flush());
}

function warnDevSwitches(app: GatewayApp, c: SecurityConfig): void {
  const on = [
    !c.enabled && 'ABSTRACTGATEWAY_SECURITY=0 (no auth, origin, limit or audit checks)',
    c.enabled && !c.protectRead && 'ABSTRACTGATEWAY_PROTECT_READ=0 (anonymous reads run as local-admin)',
    c.enabled && !c.protectWrite && 'ABSTRACTGATEWAY_PROTECT_WRITE=0 (anonymous writes run as local-admin)',
    c.enabled && c.devReadNoAuthLoopback && 'ABSTRACTGATEWAY_DEV_READ_NO_AUTH=1 (anonymous loopback reads)',
    c.allowedOrigins.includes('*') && 'ABSTRACTGATEWAY_ALLOWED_ORIGINS=* (any web page may call the gateway)',
  ].filter(Boolean);
  for (const s of on) app.log.warn(`security dev switch on: ${s}`);
}
