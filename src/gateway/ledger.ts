// Ledger reading (spec core-api §4): replay pages by cursor, pages for several runs at once, and
// live watching for the SSE stream. Serialized replay pages are cached: the ledger is
// append-only, so the slice [after, end) never changes once it exists. A full page (as many
// records as asked for) is served without touching the store; a short one (the ledger's tail)
// after one point read of the ledger length tells which slice it is.

import { isTerminal, isTerminalStatusRecord, type RunState, type StepRecord } from '../model/run.js';
import type { LedgerConsumer, LedgerSubscription } from '../runtime/ledger-watch.js';
import type { LedgerPage } from '../store/types.js';
import { bodyCache } from './body-cache.js';
import type { DataPlane } from './plane.js';
import { runStamp } from './runs.js';

const sliceKey = (runId: string, after: number, end: number) => `ledger\0${runId}\0${after}\0${end}`;

/** `{"items":[…],"next_after":N}` for ledger[after : after+limit], built from the stored JSON; 404 for an unknown run. */
export async function ledgerPageBody(plane: DataPlane, runId: string, after: number, limit: number): Promise<Buffer> {
  const cache = bodyCache(plane);
  const full = cache.get(sliceKey(runId, after, after + limit));
  if (full) return full;
  const { ledger_len } = await runStamp(plane, runId);
  const tail = cache.get(sliceKey(runId, after, Math.max(after, Math.min(after + limit, ledger_len))));
  if (tail) return tail;
  const p = await plane.runtime.readLedgerJson(runId, after, limit);
  const body = Buffer.from(`{"items":[${p.json.join(',')}],"next_after":${p.next_after}}`);
  cache.set(sliceKey(runId, after, after + p.json.length), body);
  return body;
}

/** Pages for several runs; unknown runs (and blank ids) are left out. */
export async function ledgerBatch(plane: DataPlane, runs: { run_id: string; after: number }[], limit: number): Promise<Record<string, LedgerPage>> {
  const out: Record<string, LedgerPage> = {};
  for (const { run_id, after } of runs) {
    const id = run_id.trim();
    if (!id) continue;
    const p = await plane.runtime.readLedger(id, after, limit).catch(() => null);
    if (p && (p.items.length > 0 || (await plane.runtime.getStoredRun(id)))) out[id] = p;
  }
  return out;
}

/**
 * Follow a run's ledger from `after`: replay, then live records as they commit, at the pace
 * `deliver` takes them (see Backpressure). `onEnd` fires after the run's terminal record has
 * been taken, or when the watch fails.
 */
export function followLedger(plane: DataPlane, runId: string, after: number, deliver: LedgerConsumer, onEnd: () => void): LedgerSubscription {
  return plane.runtime.watchLedger(
    runId,
    after,
    async (records: StepRecord[], cursor, json) => {
      const full = await deliver(records, cursor, json);
      const taken = full ? records.slice(0, full.taken) : records;
      if (taken.some(isTerminalStatusRecord)) onEnd();
      return full;
    },
    () => onEnd(),
  );
}

/** True when a run that was already terminal has no record after `cursor`: nothing will follow. */
export async function nothingToFollow(plane: DataPlane, run: RunState, cursor: number): Promise<boolean> {
  return isTerminal(run.status) && (await plane.runtime.readLedger(run.run_id, cursor, 1)).items.length === 0;
}
