// JSON nesting cap (ABSTRACTGATEWAY_MAX_JSON_DEPTH): JSON.parse accepts any depth, but the
// runtime walks payloads recursively — a resume payload nested 3,000 deep was accepted, then
// failed its run with a stack overflow. Bodies deeper than the cap are refused with 422 before
// any handler sees them.

import type { preValidationHookHandler } from 'fastify';
import { GatewayError } from '../errors.js';
import { nestsDeeperThan } from '../model/limits.js';

export function jsonDepthCap(maxDepth: number): preValidationHookHandler {
  const refusal = () => {
    const msg = `JSON nesting deeper than ${maxDepth} levels`;
    return new GatewayError('GW_ERR_VALIDATION', msg, { detail: [{ type: 'json_too_deep', loc: ['body'], msg, input: null, ctx: { max_depth: maxDepth } }] });
  };
  // A callback hook, not an async one: it runs on every request.
  return (req, _reply, done) => {
    const body = req.body;
    done(body !== null && typeof body === 'object' && nestsDeeperThan(body, maxDepth) ? refusal() : undefined);
  };
}

