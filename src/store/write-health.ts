// Whether the store can be written, for /api/health: every commit reports its outcome here,
// and a cheap write probe runs only when that knowledge is stale — at most once a second while
// writes are failing (so recovery shows without traffic), and after a quiet spell otherwise (so
// a store that became unwritable while idle shows too). Health never stays "healthy" while
// writes fail, and a busy store is never probed.

import { FaultStreak } from '../model/fault-streak.js';
import { faultReason, isStorageFault, storageFault } from './faults.js';

export interface StoreHealth {
  writable: boolean;
  /** Why writes fail (no server paths), while they do. */
  detail?: string;
  /** When the current failure streak began (ISO). */
  since?: string;
}

/** While failing: re-probe at most this often. */
const RETRY_PROBE_MS = 1000;
/** While fine: probe when no write outcome was seen for this long. */
const IDLE_PROBE_MS = 10_000;

export class WriteHealth {
  private fault: { detail: string; since: string } | null = null;
  private lastOutcomeMs = performance.now();
  private probing: Promise<void> | null = null;
  private readonly streak: FaultStreak;

  constructor(
    report: (message: string) => void,
    /** One write that fails the way real writes would; resolves when it committed. */
    private readonly probe: () => Promise<void>,
  ) {
    this.streak = new FaultStreak('store write', report);
  }

  get failing(): boolean {
    return this.fault !== null;
  }

  /** A commit that wrote something reached the disk. */
  committed(): void {
    this.lastOutcomeMs = performance.now();
    if (!this.fault) return;
    this.fault = null;
    this.streak.ok();
  }

  /** A write failed; only storage faults count (a job's own bug says nothing about the disk). */
  failed(err: unknown): void {
    if (!isStorageFault(err)) return;
    this.lastOutcomeMs = performance.now();
    this.fault ??= { detail: String(storageFault(err)!.detail), since: new Date().toISOString() };
    this.streak.fail(faultReason(err));
  }

  async check(): Promise<StoreHealth> {
    const quiet = performance.now() - this.lastOutcomeMs;
    if (quiet >= (this.fault ? RETRY_PROBE_MS : IDLE_PROBE_MS)) {
      this.probing ??= this.runProbe();
      await this.probing;
    }
    return this.fault ? { writable: false, ...this.fault } : { writable: true };
  }

  private async runProbe(): Promise<void> {
    try {
      await this.probe();
      this.committed();
    } catch (err) {
      this.failed(err);
      this.lastOutcomeMs = performance.now(); // a probe that failed for another reason is not retried at once
    } finally {
      this.probing = null;
    }
  }
}
