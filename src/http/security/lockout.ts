// Auth-failure lockout per client IP (spec security §1.6): after `after` consecutive failures the
// IP is locked for base·2^(n−after) seconds, capped at maxS (0 = uncapped). In memory, per process.

const MAX_ENTRIES = 10_000;
const EVICT = 1_000;

export class Lockout {
  private readonly state = new Map<string, { fails: number; lockedUntil: number }>();

  constructor(
    private readonly after: number,
    private readonly baseS: number,
    private readonly maxS: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Seconds this IP is still locked for, rounded up (0 = not locked). The reference rounds down
   * and ignores anything under 1 s, so its first 1 s lock never blocks a request; rounding up
   * makes every lock hold for its full length.
   */
  lockedFor(ip: string): number {
    const s = this.state.get(ip);
    if (!s) return 0;
    return Math.max(0, Math.ceil((s.lockedUntil - this.now()) / 1000));
  }

  /** Counts a failure; returns the lock it starts in whole seconds (0 = none yet). */
  recordFailure(ip: string): number {
    let s = this.state.get(ip);
    if (!s) {
      if (this.state.size >= MAX_ENTRIES) this.evictOldest();
      s = { fails: 0, lockedUntil: 0 };
      this.state.set(ip, s);
    }
    s.fails += 1;
    if (s.fails < this.after) return 0;
    let lockS = this.baseS === 0 ? 0 : this.baseS * 2 ** (s.fails - this.after);
    if (this.maxS > 0) lockS = Math.min(lockS, this.maxS);
    s.lockedUntil = this.now() + lockS * 1000;
    return Math.floor(lockS);
  }

  recordSuccess(ip: string): void {
    this.state.delete(ip);
  }

  private evictOldest(): void {
    let n = 0;
    for (const key of this.state.keys()) {
      if (n++ >= EVICT) break;
      this.state.delete(key);
    }
  }
}
