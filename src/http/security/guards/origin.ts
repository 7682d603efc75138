// Step 3 (spec security §1.3): a request whose Origin header is not allowlisted gets 403, whatever
// credentials it carries. Requests without an Origin (non-browser clients) are not checked.

import { originForbidden } from '../cors.js';
import { originAllowlist } from '../origin.js';
import type { Guard } from './guard.js';

export function originGuard(patterns: readonly string[]): Guard {
  const allowed = originAllowlist(patterns);
  return {
    name: 'origin',
    check(req) {
      const origin = req.headers.origin?.trim();
      if (origin && !allowed(origin)) return originForbidden();
    },
  };
}
