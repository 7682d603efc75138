// The security pipeline for /api/gateway (spec security §1.3), as Fastify hooks:
//   every path:   x-request-id header → CORS (preflights answered here, before auth)
//   /api/gateway: origin → lockout → rate limit → auth decision (OPTIONS passes) → credentials →
//                 principal → body cap → concurrency; audit of writes when the response closes.
// CSRF and route-family authorization (steps 9–10) arrive with hosted mode.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SecurityConfig } from '../../config/security.js';
import { GatewayError, type ErrorCode } from '../../errors.js';
import { sendError } from '../errors.js';
import type { GatewayApp } from '../types.js';
import { AuditLog, redactQuery, type AuditEntry } from './audit.js';
import { bearerToken, TokenVerifier, tokenFingerprint } from './auth.js';
import { bodyLimitFor, capStream, tooLarge } from './body-limit.js';
import { clientIp, isLoopback } from './client.js';
import { Semaphore } from './concurrency.js';
import { corsHook, originForbidden } from './cors.js';
import { Lockout } from './lockout.js';
import { originAllowlist } from './origin.js';
import { localAdmin, LOOPBACK_READONLY } from './principal.js';
import { RateLimiter } from './rate-limit.js';
import { nowIso } from '../../model/time.js';

const PREFIX = '/api/gateway';
const READ = new Set(['GET', 'HEAD']);
const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const LOGIN = /^\/api\/gateway\/session\/login\/?$/;
const ACQUIRE_WAIT_MS = 10;

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

interface Ctx {
  authRequired: boolean;
  tokenFp?: string;
  error?: string;
}

export function registerSecurity(app: GatewayApp, config: SecurityConfig, dataDir: string): void {
  const originAllowed = originAllowlist(config.allowedOrigins);
  app.decorateRequest('principal', null);
  app.decorateRequest('bodyLimitBytes', 0);
  app.addHook('onRequest', async (req, reply) => {
    reply.raw.setHeader('x-request-id', req.id);
  });
  app.addHook('onRequest', corsHook(originAllowed));
  warnDevSwitches(app, config);

  if (!config.enabled) {
    // Dev switch: no checks at all; handlers still see a principal (spec §2.4).
    app.addHook('onRequest', async (req) => {
      if (gatewayPath(req)) req.principal = localAdmin();
    });
    return;
  }

  const tokens = new TokenVerifier(config.tokens);
  const lockout = new Lockout(config.lockoutAfter, config.lockoutBaseS, config.lockoutMaxS);
  const limiter = config.rateLimitRps > 0 ? new RateLimiter(config.rateLimitRps, config.rateLimitBurst) : null;
  const general = new Semaphore(config.maxConcurrency);
  const sse = new Semaphore(config.maxSse);
  const audit = config.audit.enabled ? new AuditLog(dataDir, config.audit.maxBytes, config.audit.rotations, (err) => app.log.error({ err }, 'audit log write failed')) : null;
  const auditHeaders = config.audit.headers.filter((h) => !['authorization', 'cookie', 'x-abstractgateway-session'].includes(h));
  const contexts = new WeakMap<FastifyRequest, Ctx>();

  const reject = (reply: FastifyReply, code: ErrorCode, detail: string, headers: Record<string, string> = {}) =>
    sendError(reply, new GatewayError(code, detail, { headers }));

  app.addHook('onRequest', async (req, reply) => {
    const path = gatewayPath(req);
    if (path === null) return;
    const started = performance.now();
    const method = req.method;
    const isWrite = WRITE.has(method);
    const ip = clientIp(req, config.trustProxy);
    const ctx: Ctx = { authRequired: false };
    contexts.set(req, ctx);

    // One close listener releases the concurrency permit and audits the outcome, whichever
    // step answered and however long the (possibly streaming) response lived.
    let release: (() => void) | null = null;
    let closed = false;
    reply.raw.once('close', () => {
      closed = true;
      release?.();
      if (audit && isWrite) audit.write(auditEntry(req, reply, ctx, path, ip, performance.now() - started, auditHeaders));
    });

    const origin = req.headers.origin?.trim();
    if (origin && !originAllowed(origin)) return sendError(reply, originForbidden());

    const locked = lockout.lockedFor(ip);
    if (locked >= 1) return reject(reply, 'GW_ERR_TOO_MANY_REQUESTS', 'Too Many Requests (auth lockout)', { 'retry-after': String(locked) });

    if (limiter && !(config.rateLimitExemptLoopback && isLoopback(ip))) {
      const wait = limiter.take(ip);
      if (wait > 0) return reject(reply, 'GW_ERR_TOO_MANY_REQUESTS', 'Too Many Requests (rate limit)', { 'retry-after': String(wait) });
    }

    const isPublic = method === 'POST' && LOGIN.test(path);
    const devRead = READ.has(method) && config.protectRead && config.devReadNoAuthLoopback && isLoopback(ip);
    ctx.authRequired = isWrite ? config.protectWrite && !isPublic : READ.has(method) && config.protectRead && !devRead;
    if (method === 'OPTIONS') return;

    if (ctx.authRequired) {
      if (!tokens.configured) return reject(reply, 'GW_ERR_UNAVAILABLE', 'Gateway auth required but no token configured');
      const token = bearerToken(req.headers.authorization);
      if (token) ctx.tokenFp = tokenFingerprint(token);
      if (!token || !tokens.verify(token)) {
        // Only presented credentials count towards the lockout: a signed-out client probing
        // without any cannot be guessing (spec §8 W5).
        const lock = req.headers.authorization !== undefined ? lockout.recordFailure(ip) : 0;
        if (lock >= 1) return reject(reply, 'GW_ERR_TOO_MANY_REQUESTS', 'Too Many Requests (auth lockout)', { 'retry-after': String(lock) });
        return reject(reply, 'GW_ERR_UNAUTHORIZED', 'Unauthorized', { 'www-authenticate': 'Bearer' });
      }
      lockout.recordSuccess(ip);
      req.principal = localAdmin(ctx.tokenFp);
    } else if (!isPublic) {
      // PROTECT_*=0 and unusual methods run as local-admin, as in the reference (dev switches).
      req.principal = devRead ? LOOPBACK_READONLY : localAdmin();
    }

    if (isWrite) {
      const limit = bodyLimitFor(config, path);
      const declared = req.headers['content-length'];
      if (limit > 0 && declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) {
        return sendError(reply, tooLarge(Number(declared), limit));
      }
      req.bodyLimitBytes = limit;
    }

    const pool = path.replace(/\/$/, '').endsWith('/ledger/stream') ? sse : general;
    if (!(await pool.tryAcquire(ACQUIRE_WAIT_MS))) {
      return reject(reply, 'GW_ERR_TOO_MANY_REQUESTS', 'Too Many Requests (concurrency limit)', { 'retry-after': '1' });
    }
    release = () => pool.release();
    if (closed) release();
  });

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

function auditEntry(req: FastifyRequest, reply: FastifyReply, ctx: Ctx, path: string, ip: string, durationMs: number, headerNames: string[]): AuditEntry {
  const h = req.headers;
  const q = req.url.indexOf('?');
  const entry: AuditEntry = {
    ts: nowIso(),
    request_id: req.id,
    ip,
    method: req.method,
    path,
    query: q < 0 ? '' : redactQuery(req.url.slice(q + 1)),
    status: reply.raw.headersSent ? reply.raw.statusCode : 0,
    duration_ms: Math.round(durationMs * 1000) / 1000,
    auth_required: ctx.authRequired,
  };
  if (ctx.tokenFp) entry.auth_token_fp = ctx.tokenFp;
  if (req.principal) {
    entry.principal_user_id = req.principal.userId;
    entry.principal_tenant_id = req.principal.tenantId;
  }
  if (h.origin) entry.origin = h.origin;
  if (h['user-agent']) entry.user_agent = h['user-agent'];
  if (h['content-length'] && /^\d+$/.test(h['content-length'])) entry.bytes_in = Number(h['content-length']);
  const picked = headerNames.filter((n) => typeof h[n] === 'string');
  if (picked.length > 0) entry.headers = Object.fromEntries(picked.map((n) => [n, h[n] as string]));
  if (ctx.error) entry.error = ctx.error;
  return entry;
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
