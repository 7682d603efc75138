// Step 9 (spec security §4.7): a write authenticated by a browser session must carry the
// session's CSRF token in X-AbstractGateway-CSRF (compared with its stored hash). Bearer-token
// requests and session reads need none.

import { GatewayError } from '../../../errors.js';
import { csrfMatches } from '../../../gateway/sessions.js';
import type { Guard } from './guard.js';

export function csrfGuard(csrfHeader: string): Guard {
  return {
    name: 'csrf',
    check(req, _reply, ctx) {
      const session = req.browserSession;
      if (!session || !ctx.isWrite) return;
      const header = req.headers[csrfHeader];
      if (!csrfMatches(Array.isArray(header) ? header[0] : header, session.csrfHash)) {
        return new GatewayError('GW_ERR_FORBIDDEN', 'Gateway browser session CSRF token missing or invalid', { fields: { reason_code: 'csrf_required' } });
      }
    },
  };
}
