// `Idempotency-Key` for POST /runs/start: the key determines the run id, so the store's primary
// key arbitrates. Repeats return the first run, across restarts and across API processes; two
// concurrent first requests create one run (the loser's insert fails and it returns the winner's).
// The run records a digest of the request that created it, so that the same key with another
// body is a 409, as a reused command_id is.

import { createHash } from 'node:crypto';
import type { DataPlane } from './plane.js';
import { conflict } from '../errors.js';
import { canonicalJson, isPlainObject } from '../model/json.js';
import type { JsonObject, RunState } from '../model/run.js';

/** A UUID-shaped (RFC 9562 version 8) id derived from the runtime scope and the key. */
export function runIdForKey(runtimeId: string, key: string): string {
  const h = createHash('sha256').update(`start-idempotency\0${runtimeId}\0${key}`).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** sha256 of the request body in canonical JSON: key order and spacing do not matter. */
export const startRequestDigest = (body: object): string => createHash('sha256').update(canonicalJson(body)).digest('hex');

const DIGEST_KEY = 'start_request_sha256';

/** Keeps the digest with the run, in the reserved `_meta` namespace (never shown as an input). */
export function recordStartDigest(vars: JsonObject, digest: string): void {
  vars._meta = { ...(isPlainObject(vars._meta) ? vars._meta : {}), [DIGEST_KEY]: digest };
}

/** The run's id when it was started by the same request; 409 when the key came with another body. */
function sameRequest(run: RunState, key: string, digest: string): string {
  const recorded = isPlainObject(run.vars?._meta) ? run.vars._meta[DIGEST_KEY] : undefined;
  // Runs started before digests were recorded cannot be compared: they keep answering their id.
  if (typeof recorded === 'string' && recorded !== digest) {
    throw conflict(`Idempotency-Key '${key}' was already used with a different request body (run ${run.run_id})`);
  }
  return run.run_id;
}

/** Start once per key: returns the existing run's id if the key was used before with this body. */
export async function startOnce(plane: DataPlane, key: string, digest: string, start: (runId: string) => Promise<string>): Promise<string> {
  const runId = runIdForKey(plane.runtimeId, key);
  const existing = await plane.runtime.getRun(runId);
  if (existing) return sameRequest(existing, key, digest);
  try {
    return await start(runId);
  } catch (err) {
    // A concurrent request with the same key won; a failed read leaves the start's own error.
    const winner = await plane.runtime.getRun(runId).catch(() => null);
    if (winner) return sameRequest(winner, key, digest);
    throw err;
  }
}
