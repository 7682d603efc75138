// `Idempotency-Key` for POST /runs/start: a repeated key returns the run the first request
// created. This is the IN-PROCESS FALLBACK: race-free inside one process (concurrent requests
// share one pending start), but forgotten on restart and not shared between API nodes. The
// durable version needs the store (see the report: a unique key → run_id mapping, or a
// caller-chosen run_id derived from the key so insertRun's primary key arbitrates). Swap
// the implementation behind `StartIdempotency`; the route does not change.

export interface StartIdempotency {
  /** The run id already started under `key`, else the result of `start()` (then remembered). */
  once(key: string, start: () => Promise<string>): Promise<{ run_id: string; replayed: boolean }>;
}

const MAX_KEYS = 10_000;
const TTL_MS = 24 * 3600 * 1000;

export class InProcessStartIdempotency implements StartIdempotency {
  private readonly keys = new Map<string, { run: Promise<string>; at: number }>();

  async once(key: string, start: () => Promise<string>): Promise<{ run_id: string; replayed: boolean }> {
    const now = Date.now();
    const hit = this.keys.get(key);
    if (hit && now - hit.at < TTL_MS) return { run_id: await hit.run, replayed: true };
    const run = start();
    this.keys.delete(key); // re-insert at the young end
    this.keys.set(key, { run, at: now });
    this.evict();
    try {
      return { run_id: await run, replayed: false };
    } catch (err) {
      // A failed start creates nothing: let the client retry with the same key.
      if (this.keys.get(key)?.run === run) this.keys.delete(key);
      throw err;
    }
  }

  /** Oldest first (Map keeps insertion order). */
  private evict(): void {
    for (const k of this.keys.keys()) {
      if (this.keys.size <= MAX_KEYS) break;
      this.keys.delete(k);
    }
  }
}
