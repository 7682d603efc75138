// Ledger reading (spec core-api §4): replay pages by cursor, pages for several runs at once, and
// live watching for the SSE stream. Serialized replay pages are cached: a full page (as many
// records as asked for) can never change — the ledger is append-only — so its bytes are kept
// and re-sent as is, bounded by total size, least recently used first out.

import { notFound } from '../errors.js';
import { isTerminal, isTerminalStatusRecord, type RunState, type StepRecord } from '../model/run.js';
import type { LedgerConsumer, LedgerSubscription } from '../runtime/ledger-watch.js';
import type { LedgerPage } from '../store/types.js';
import type { DataPlane } from './plane.js';

const BUDGET_BYTES = 32 * 1024 * 1024;

class PageCache {
  private readonly pages = new Map<string, Buffer>();
  private bytes = 0;

  get(key: string): Buffer | undefined {
    const hit = this.pages.get(key);
    if (hit) {
      this.pages.delete(key); // move to the young end
      this.pages.set(key, hit);
    }
    return hit;
  }

  set(key: string, body: Buffer): void {
    if (body.length > BUDGET_BYTES / 8 || this.pages.has(key)) return;
    this.pages.set(key, body);
    this.bytes += body.length;
    for (const [k, v] of this.pages) {
      if (this.bytes <= BUDGET_BYTES) break;
      this.pages.delete(k);
      this.bytes -= v.length;
    }
  }
}

const caches = new WeakMap<DataPlane, PageCache>();

/** `{"items":[…],"next_after":N}` for ledger[after : after+limit], built from the stored JSON; 404 for an unknown run. */
export async function ledgerPageBody(plane: DataPlane, runId: string, after: number, limit: number): Promise<Buffer> {
  const { body, count } = await cachedPage(plane, runId, after, limit);
  // The hot path reads once: existence is only checked when the page is empty.
  if (count === 0 && !(await plane.runtime.getStoredRun(runId))) throw notFound(`Run '${runId}' not found`);
  return body;
}

async function cachedPage(plane: DataPlane, runId: string, after: number, limit: number): Promise<{ body: Buffer; count: number }> {
  let cache = caches.get(plane);
  if (!cache) caches.set(plane, (cache = new PageCache()));
  const key = `${runId}\0${after}\0${limit}`;
  const hit = cache.get(key);
  if (hit) return { body: hit, count: limit };
  const p = await plane.runtime.readLedgerJson(runId, after, limit);
  const body = Buffer.from(`{"items":[${p.json.join(',')}],"next_after":${p.next_after}}`);
  if (p.json.length === limit) cache.set(key, body);
  return { body, count: p.json.length };
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
