// Step 5 (not in the reference, spec §8 W19): a token bucket per client IP; loopback clients may
// be exempt (local tools, a reverse proxy on this host).

import { GatewayError } from '../../../errors.js';
import { isLoopback } from '../client.js';
import { RateLimiter } from '../rate-limit.js';
import type { Guard } from './guard.js';

export function rateLimitGuard(rps: number, burst: number, exemptLoopback: boolean): Guard {
  const limiter = new RateLimiter(rps, burst);
  return {
    name: 'rate-limit',
    check(_req, _reply, ctx) {
      if (exemptLoopback && isLoopback(ctx.ip)) return;
      const wait = limiter.take(ctx.ip);
      if (wait > 0) return new GatewayError('GW_ERR_TOO_MANY_REQUESTS', 'Too Many Requests (rate limit)', { headers: { 'retry-after': String(wait) } });
    },
  };
}
