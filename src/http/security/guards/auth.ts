// Steps 5–8 (spec security §1.3): OPTIONS goes straight to the handler; otherwise decide whether
// the request needs credentials and find its principal. Local mode: shared bearer tokens only.
// Hosted mode: a bearer token is looked up in the users registry first (one index probe), then
// among the shared tokens; without a bearer token, a browser session (header, then cookie). An
// invalid bearer token never falls back to a session.

import type { FastifyRequest } from 'fastify';
import type { SecurityConfig } from '../../../config/security.js';
import { GatewayError } from '../../../errors.js';
import type { HostedServices } from '../../../gateway/plane.js';
import { userPrincipal } from '../../../gateway/users.js';
import type { GatewayPrincipal } from '../../../model/principal.js';
import { bearerToken, TokenVerifier, tokenFingerprint } from '../auth.js';
import { isLoopback } from '../client.js';
import { cookieValue } from '../cookies.js';
import type { Lockout } from '../lockout.js';
import { localAdmin, LOOPBACK_READONLY } from '../principal.js';
import { PASS, type Guard, type GuardContext, type Verdict } from './guard.js';
import { lockedOut } from './lockout.js';

const READ = new Set(['GET', 'HEAD']);
const LOGIN = /^\/api\/gateway\/session\/login\/?$/;

/** OPTIONS is neither a read nor a write, so it is never auth-required and skips the rest. */
export const optionsGuard: Guard = {
  name: 'options',
  check: (_req, _reply, ctx) => (ctx.method === 'OPTIONS' ? PASS : undefined),
};

const unauthorized = () => new GatewayError('GW_ERR_UNAUTHORIZED', 'Unauthorized', { headers: { 'www-authenticate': 'Bearer' } });

export function authGuard(config: SecurityConfig, lockout: Lockout, hosted: HostedServices | null = null): Guard {
  const tokens = new TokenVerifier(config.tokens);

  /** Only presented credentials count towards the lockout: a signed-out client cannot be guessing (spec §8 W5). */
  const refuse = (req: FastifyRequest, ctx: GuardContext): GatewayError => {
    const lock = req.headers.authorization !== undefined ? lockout.recordFailure(ctx.ip) : 0;
    return lock >= 1 ? lockedOut(lock) : unauthorized();
  };
  const accept = (req: FastifyRequest, ctx: GuardContext, principal: GatewayPrincipal): Verdict => {
    lockout.recordSuccess(ctx.ip);
    req.principal = principal;
  };

  async function hostedCheck(h: HostedServices, req: FastifyRequest, ctx: GuardContext, token: string): Promise<Verdict> {
    if (token) {
      const user = await h.users.authenticate(token);
      if (user) return accept(req, ctx, userPrincipal(user, ctx.tokenFp!));
      return tokens.verify(token) ? accept(req, ctx, localAdmin(ctx.tokenFp)) : refuse(req, ctx);
    }
    const header = req.headers[h.config.sessionHeader];
    const value = (Array.isArray(header) ? header[0] : header) || cookieValue(req.headers.cookie, h.config.sessionCookie);
    const session = value ? await h.sessions.authenticate(value) : null;
    if (!session) return unauthorized();
    req.browserSession = { hash: session.sessionHash, csrfHash: session.csrfHash };
    return accept(req, ctx, session.principal);
  }

  return {
    name: 'auth',
    check(req, _reply, ctx) {
      const isPublic = ctx.method === 'POST' && LOGIN.test(ctx.path);
      const devRead = READ.has(ctx.method) && config.protectRead && config.devReadNoAuthLoopback && isLoopback(ctx.ip);
      ctx.authRequired = ctx.isWrite ? config.protectWrite && !isPublic : READ.has(ctx.method) && config.protectRead && !devRead;
      if (!ctx.authRequired) {
        // PROTECT_*=0 and unusual methods run as local-admin, as in the reference (dev switches).
        if (!isPublic) req.principal = devRead ? LOOPBACK_READONLY : localAdmin();
        return;
      }
      if (!tokens.configured && !hosted) return new GatewayError('GW_ERR_UNAVAILABLE', 'Gateway auth required but no token configured');
      const token = bearerToken(req.headers.authorization);
      if (token) ctx.tokenFp = tokenFingerprint(token);
      if (hosted) return hostedCheck(hosted, req, ctx, token);
      if (!token || !tokens.verify(token)) return refuse(req, ctx);
      return accept(req, ctx, localAdmin(ctx.tokenFp));
    },
  };
}
