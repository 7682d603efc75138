// Live ledger subscriptions. A subscriber registers BEFORE it replays, then every store
// signal for its run makes it read from its own cursor: a signal is only a hint, the store
// is the truth, so nothing between replay and live can be missed or duplicated. Delivery
// awaits the consumer, so a slow consumer holds a cursor, never a growing buffer.

import type { RuntimeStore, Store } from '../store/types.js';
import type { StepRecord } from './types.js';

export type LedgerConsumer = (records: StepRecord[], cursor: number) => void | Promise<void>;

export interface LedgerSubscription {
  readonly cursor: number;
  close(): void;
}

const PAGE = 500;

class Subscription implements LedgerSubscription {
  cursor: number;
  closed = false;
  private pumping = false;
  private again = false;

  constructor(
    private readonly watcher: LedgerWatcher,
    readonly runId: string,
    after: number,
    private readonly consumer: LedgerConsumer,
    private readonly onError: (e: unknown) => void,
  ) {
    this.cursor = after;
  }

  /** Read and deliver everything after the cursor; coalesces concurrent signals. */
  async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        for (;;) {
          if (this.closed) return;
          const page = await this.watcher.store.readLedger(this.runId, this.cursor, PAGE);
          if (page.items.length === 0 || this.closed) break;
          this.cursor = page.next_after;
          await this.consumer(page.items, this.cursor);
          if (page.items.length < PAGE) break;
        }
      } while (this.again);
    } catch (e) {
      this.onError(e);
    } finally {
      this.pumping = false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher.remove(this);
  }
}

export class LedgerWatcher {
  private readonly byRun = new Map<string, Set<Subscription>>();
  private readonly unsubscribe: () => void;
  private pollTimer: NodeJS.Timeout | null = null;

  /** @param pollMs fallback re-read interval for appends made by other processes (0 = off). */
  constructor(
    source: Store,
    readonly store: RuntimeStore,
    pollMs = 1000,
  ) {
    this.unsubscribe = source.on('ledger', (runtimeId, runId) => {
      if (runtimeId !== store.runtimeId) return;
      const subs = this.byRun.get(runId);
      if (subs) for (const s of subs) void s.pump();
    });
    if (pollMs > 0) {
      this.pollTimer = setInterval(() => this.pollAll(), pollMs);
      this.pollTimer.unref();
    }
  }

  /** Deliver every record after `after`, then each new one, until closed. */
  watch(runId: string, after: number, consumer: LedgerConsumer, onError: (e: unknown) => void = () => undefined): LedgerSubscription {
    const sub = new Subscription(this, runId, after, consumer, onError);
    let set = this.byRun.get(runId);
    if (!set) this.byRun.set(runId, (set = new Set()));
    set.add(sub); // registered before the replay below
    void sub.pump();
    return sub;
  }

  remove(sub: Subscription): void {
    const set = this.byRun.get(sub.runId);
    if (!set) return;
    set.delete(sub);
    if (set.size === 0) this.byRun.delete(sub.runId);
  }

  private pollAll(): void {
    for (const subs of this.byRun.values()) for (const s of subs) void s.pump();
  }

  close(): void {
    this.unsubscribe();
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const subs of this.byRun.values()) for (const s of subs) s.closed = true;
    this.byRun.clear();
  }
}
