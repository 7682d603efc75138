// Step 4: a locked-out IP is refused before authentication, so even a valid token or the public
// login route gets the 429 until the lock expires. The auth guard records the failures.

import { GatewayError } from '../../../errors.js';
import type { Lockout } from '../lockout.js';
import type { Guard } from './guard.js';

export const lockedOut = (seconds: number) => new GatewayError('GW_ERR_TOO_MANY_REQUESTS', 'Too Many Requests (auth lockout)', { headers: { 'retry-after': String(seconds) } });

export function lockoutGuard(lockout: Lockout): Guard {
  return {
    name: 'lockout',
    check(_req, _reply, ctx) {
      const locked = lockout.lockedFor(ctx.ip);
      if (locked >= 1) return lockedOut(locked);
    },
  };
}
