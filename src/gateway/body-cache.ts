// Serialized response bodies kept per data plane, for the read paths every client polls
// (GET /runs/{id}, ledger pages). A key names an immutable view — a ledger slice [after, end),
// or a run at one version and ledger length — so a hit is re-sent as is, with no JSON to parse
// or serialize. Bounded by total size; least recently used first out.

import type { DataPlane } from './plane.js';

const BUDGET_BYTES = 32 * 1024 * 1024;

export class BodyCache {
  private readonly bodies = new Map<string, Buffer>();
  private bytes = 0;

  get(key: string): Buffer | undefined {
    const hit = this.bodies.get(key);
    if (hit) {
      this.bodies.delete(key); // move to the young end
      this.bodies.set(key, hit);
    }
    return hit;
  }

  set(key: string, body: Buffer): void {
    if (body.length > BUDGET_BYTES / 8 || this.bodies.has(key)) return;
    this.bodies.set(key, body);
    this.bytes += body.length;
    for (const [k, v] of this.bodies) {
      if (this.bytes <= BUDGET_BYTES) break;
      this.bodies.delete(k);
      this.bytes -= v.length;
    }
  }
}

const caches = new WeakMap<DataPlane, BodyCache>();

/** The plane's cache (keys are namespaced by their users). */
export function bodyCache(plane: DataPlane): BodyCache {
  let cache = caches.get(plane);
  if (!cache) caches.set(plane, (cache = new BodyCache()));
  return cache;
}
