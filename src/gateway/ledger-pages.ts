// Serialized ledger pages for the replay route. A full page (as many records as asked for)
// can never change — the ledger is append-only — so its bytes are kept and re-sent as is.
// Bounded by total size, least recently used first out.

import type { Host } from './host.js';

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

const caches = new WeakMap<Host, PageCache>();

/** `{"items":[…],"next_after":N}` for ledger[after : after+limit], built from the stored JSON. */
export async function ledgerPageBody(host: Host, runId: string, after: number, limit: number): Promise<{ body: Buffer; count: number }> {
  let cache = caches.get(host);
  if (!cache) caches.set(host, (cache = new PageCache()));
  const key = `${runId}\0${after}\0${limit}`;
  const hit = cache.get(key);
  if (hit) return { body: hit, count: limit };
  const p = await host.runtime.store.readLedgerJson(runId, after, limit);
  const body = Buffer.from(`{"items":[${p.json.join(',')}],"next_after":${p.next_after}}`);
  if (p.json.length === limit) cache.set(key, body);
  return { body, count: p.json.length };
}
