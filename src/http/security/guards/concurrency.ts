// Step 13 (spec security §1.8): a permit from the general pool, or from the SSE pool for ledger
// streams so long-lived streams cannot starve ordinary requests. Held until the response closes.
// Taken only once the body has arrived (phase 'body'): 64 requests stalling their bodies held
// every permit of the reference-sized pool, and every other client got 429 (issue 7).

import { GatewayError } from '../../../errors.js';
import { Semaphore } from '../concurrency.js';
import type { Guard } from './guard.js';

const ACQUIRE_WAIT_MS = 10;

export function concurrencyGuard(maxConcurrency: number, maxSse: number): Guard {
  const general = new Semaphore(maxConcurrency);
  const sse = new Semaphore(maxSse);
  return {
    name: 'concurrency',
    phase: 'body',
    async check(_req, _reply, ctx) {
      const pool = ctx.path.replace(/\/$/, '').endsWith('/ledger/stream') ? sse : general;
      if (!(await pool.tryAcquire(ACQUIRE_WAIT_MS))) {
        return new GatewayError('GW_ERR_TOO_MANY_REQUESTS', 'Too Many Requests (concurrency limit)', { headers: { 'retry-after': '1' } });
      }
      ctx.hold(() => pool.release());
    },
  };
}
