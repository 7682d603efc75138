// The unit of the /api/gateway security pipeline: a named check over one request. Guards run in
// list order (see securityGuards in ../index.ts); the first GatewayError is the answer, so a new
// step (session cookies, CSRF, route-family authorization) is one more entry in the list.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayError } from '../../../errors.js';

/** What the pipeline knows about a gateway request; guards read it and fill in their part. */
export interface GuardContext {
  /** Decoded gateway path, query excluded. */
  readonly path: string;
  readonly method: string;
  readonly isWrite: boolean;
  readonly ip: string;
  /** performance.now() when the pipeline started (audit duration). */
  readonly started: number;
  /** Decided by the auth guard; false until then. */
  authRequired: boolean;
  /** Fingerprint of the presented bearer token, if any. */
  tokenFp?: string;
  /** Failure text of the handler (5xx), for the audit entry. */
  error?: string;
  /** Runs `release` when the response closes, or at once if it already has. */
  hold(release: () => void): void;
}

/** Ends the pipeline without an error: the remaining guards are skipped and the handler runs. */
export const PASS = Symbol('pass');

export type Verdict = GatewayError | typeof PASS | void;

export interface Guard {
  readonly name: string;
  /**
   * When the guard runs. 'headers' (the default): as soon as the headers are in, before any body
   * byte is read. 'body': once the body has arrived and passed validation, so a client that
   * stalls its body holds nothing the guard hands out (the concurrency permit). Body guards
   * come after every headers guard in the list.
   */
  readonly phase?: 'headers' | 'body';
  check(req: FastifyRequest, reply: FastifyReply, ctx: GuardContext): Verdict | Promise<Verdict>;
}

/** Runs the guards in order; returns the first error or PASS, or undefined when all let the request on. */
export async function runGuards(guards: readonly Guard[], req: FastifyRequest, reply: FastifyReply, ctx: GuardContext): Promise<Verdict> {
  for (const guard of guards) {
    let verdict = guard.check(req, reply, ctx);
    // Awaiting only real promises keeps synchronous guards free of extra microtask hops.
    if (verdict instanceof Promise) verdict = await verdict;
    if (verdict) return verdict;
  }
  return undefined;
}

/** Splits the list by phase; a headers guard placed after a body guard could not run in its place. */
export function byPhase(guards: readonly Guard[]): { headers: Guard[]; body: Guard[] } {
  const firstBody = guards.findIndex((g) => g.phase === 'body');
  const headers = firstBody < 0 ? [...guards] : guards.slice(0, firstBody);
  const body = firstBody < 0 ? [] : guards.slice(firstBody);
  const misplaced = body.find((g) => g.phase !== 'body');
  if (misplaced) throw new Error(`security guard '${misplaced.name}' runs on headers but is listed after a body guard`);
  return { headers, body };
}
