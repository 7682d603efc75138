// Steps 5–8 (spec security §1.3): OPTIONS goes straight to the handler; otherwise decide whether
// the request needs credentials, verify the bearer token (failures feed the lockout) and attach
// the principal. Session cookies (hosted mode) will be a second credential source here.

import type { SecurityConfig } from '../../../config/security.js';
import { GatewayError } from '../../../errors.js';
import { bearerToken, TokenVerifier, tokenFingerprint } from '../auth.js';
import { isLoopback } from '../client.js';
import type { Lockout } from '../lockout.js';
import { localAdmin, LOOPBACK_READONLY } from '../principal.js';
import { PASS, type Guard } from './guard.js';
import { lockedOut } from './lockout.js';

const READ = new Set(['GET', 'HEAD']);
const LOGIN = /^\/api\/gateway\/session\/login\/?$/;

/** OPTIONS is neither a read nor a write, so it is never auth-required and skips the rest. */
export const optionsGuard: Guard = {
  name: 'options',
  check: (_req, _reply, ctx) => (ctx.method === 'OPTIONS' ? PASS : undefined),
};

export function authGuard(config: SecurityConfig, lockout: Lockout): Guard {
  const tokens = new TokenVerifier(config.tokens);
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
      if (!tokens.configured) return new GatewayError('GW_ERR_UNAVAILABLE', 'Gateway auth required but no token configured');
      const token = bearerToken(req.headers.authorization);
      if (token) ctx.tokenFp = tokenFingerprint(token);
      if (!token || !tokens.verify(token)) {
        // Only presented credentials count towards the lockout: a signed-out client probing
        // without any cannot be guessing (spec §8 W5).
        const lock = req.headers.authorization !== undefined ? lockout.recordFailure(ctx.ip) : 0;
        if (lock >= 1) return lockedOut(lock);
        return new GatewayError('GW_ERR_UNAUTHORIZED', 'Unauthorized', { headers: { 'www-authenticate': 'Bearer' } });
      }
      lockout.recordSuccess(ctx.ip);
      req.principal = localAdmin(ctx.tokenFp);
    },
  };
}
