// Input bounds enforced where data is written, so that whatever is accepted can be read back
// through every route. Ids name things in URL paths: an id longer than a path segment may be
// was once accepted on write and then answered 414 on every path route.

import { GatewayError } from '../errors.js';

/** Longest id of one thing: run_id, command_id, session_id, bundle_id, bundle_version, flow_id. */
export const MAX_ID_CHARS = 100;

/**
 * Longest reference made of ids: a workflow id `<bundle_id>@<version>:<flow_id>` is three ids
 * and still has to fit in `/workflows/{workflow_id}/flow`.
 */
export const MAX_REF_CHARS = 3 * MAX_ID_CHARS + 2;

/**
 * Longest path segment the router accepts. It measures the segment as sent, percent-encoded:
 * up to 9 characters (3 UTF-8 bytes as %XX) per character of the id.
 */
export const MAX_PATH_PARAM_CHARS = 9 * MAX_REF_CHARS;

/** Idempotency-Key: hashed into the run id, so it is never a path segment (Stripe's limit). */
export const MAX_IDEMPOTENCY_KEY_CHARS = 255;

/** Default cap on the nesting of a JSON body (ABSTRACTGATEWAY_MAX_JSON_DEPTH). */
export const DEFAULT_MAX_JSON_DEPTH = 100;

/** A 422 in FastAPI's list form for a string over `max` characters at `loc`. */
export function tooLong(loc: (string | number)[], value: string, max: number): GatewayError {
  const msg = `String should have at most ${max} characters`;
  return new GatewayError('GW_ERR_VALIDATION', `${loc.join('.')}: ${msg}`, {
    detail: [{ type: 'string_too_long', loc, msg, input: `${value.slice(0, 40)}…`, ctx: { max_length: max } }],
  });
}

/** Throws the 422 of tooLong() when `value` is longer than an id may be. */
export function checkIdLength(loc: (string | number)[], value: string, max = MAX_ID_CHARS): void {
  if (value.length > max) throw tooLong(loc, value, max);
}

/**
 * Whether `value` nests arrays/objects deeper than `max` levels (a scalar is depth 0). Walks
 * with an explicit stack: a recursive walk is what overflows on hostile input.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as object)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
