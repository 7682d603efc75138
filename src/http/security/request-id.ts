// Request ids: echo a well-formed incoming X-Request-ID, otherwise a fresh 32-hex uuid (spec
// security §1.3). Malformed ids are replaced so clients cannot inject into logs (§8 W21).

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SAFE_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Fastify `genReqId`: the id becomes `request.id`, so logs and the header agree. */
export function requestIdFor(raw: IncomingMessage): string {
  const incoming = raw.headers['x-request-id'];
  const id = typeof incoming === 'string' ? incoming.trim() : '';
  return SAFE_ID.test(id) ? id : randomUUID().replaceAll('-', '');
}
