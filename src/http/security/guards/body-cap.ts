// Step 12 (spec security §1.7): a write whose Content-Length exceeds its cap gets 413 before any
// byte is read. The cap is left on the request for the chunked-body check in preParsing.

import type { SecurityConfig } from '../../../config/security.js';
import { bodyLimitFor, tooLarge } from '../body-limit.js';
import type { Guard } from './guard.js';

export function bodyCapGuard(config: SecurityConfig): Guard {
  return {
    name: 'body-cap',
    check(req, _reply, ctx) {
      if (!ctx.isWrite) return;
      const limit = bodyLimitFor(config, ctx.path);
      const declared = req.headers['content-length'];
      if (limit > 0 && declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) return tooLarge(Number(declared), limit);
      req.bodyLimitBytes = limit;
    },
  };
}
