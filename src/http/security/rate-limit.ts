// Request-rate limit per client IP (not in the reference, which has none — spec §8 W19): a token
// bucket refilled at `rps` up to `burst`. Buckets live in an insertion-ordered map capped in size,
// so a spray of addresses costs bounded memory.

const MAX_BUCKETS = 50_000;

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rps: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** 0 when the request may proceed, else whole seconds until the next token. */
  take(key: string): number {
    const t = this.now();
    let b = this.buckets.get(key);
    if (b) {
      b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.rps);
      b.at = t;
      // Re-insert so the map stays ordered by last use and eviction drops idle clients.
      this.buckets.delete(key);
    } else {
      b = { tokens: this.burst, at: t };
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.rps));
  }
}
