// CORS for the whole app, answered before authentication (spec security §1.12, with §8 W8 fixed):
// only allowlisted origins are echoed (never `*`, never a blanket echo), credentials are allowed
// for them, and preflights from other origins get 403. Headers go on the raw response so they
// survive security rejections and hijacked (SSE) replies alike.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../errors.js';
import { sendError } from '../errors.js';
import type { OriginCheck } from './origin.js';

const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const EXPOSE_HEADERS = 'x-request-id, retry-after, www-authenticate, content-disposition, content-length, last-event-id';
const MAX_AGE_S = '600';

export const originForbidden = () => new GatewayError('GW_ERR_FORBIDDEN', 'Forbidden (origin not allowed)');

export function corsHook(allowed: OriginCheck) {
  return async function cors(req: FastifyRequest, reply: FastifyReply) {
    const res = reply.raw;
    res.setHeader('vary', 'Origin');
    const origin = req.headers.origin?.trim();
    if (!origin) return;
    const ok = allowed(origin);
    if (ok) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
    }
    if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return;
    if (!ok) return sendError(reply, originForbidden());
    res.setHeader('access-control-allow-methods', ALLOW_METHODS);
    const requested = req.headers['access-control-request-headers'];
    if (requested) res.setHeader('access-control-allow-headers', requested);
    res.setHeader('access-control-max-age', MAX_AGE_S);
    return reply.code(204).send();
  };
}
