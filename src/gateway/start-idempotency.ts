// `Idempotency-Key` for POST /runs/start: the key determines the run id, so the store's primary
// key arbitrates. Repeats return the first run, across restarts and across API processes; two
// concurrent first requests create one run (the loser's insert fails and it returns the winner's).

import { createHash } from 'node:crypto';
import type { DataPlane } from './plane.js';

/** A UUID-shaped (RFC 9562 version 8) id derived from the runtime scope and the key. */
export function runIdForKey(runtimeId: string, key: string): string {
  const h = createHash('sha256').update(`start-idempotency\0${runtimeId}\0${key}`).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Start once per key: returns the existing run's id if the key was used before. */
export async function startOnce(plane: DataPlane, key: string, start: (runId: string) => Promise<string>): Promise<string> {
  const runId = runIdForKey(plane.runtimeId, key);
  if (await plane.runtime.getRun(runId)) return runId;
  try {
    return await start(runId);
  } catch (err) {
    if (await plane.runtime.getRun(runId)) return runId; // a concurrent request with the same key won
    throw err;
  }
}
