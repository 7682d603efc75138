// Live ledger subscriptions. A subscriber registers BEFORE it replays, then every store
// signal for its run makes it read on from its own cursor: a signal is only a hint, the store
// is the truth, so nothing between replay and live can be missed or duplicated.
//
// Backpressure: a consumer that is full (an SSE socket whose client does not read) takes only a
// prefix of what it is offered and says when it can take more. The subscription drops the rest,
// stops reading, and reads on from its cursor once the consumer is ready: a slow consumer holds
// a cursor, never a growing buffer. Its page size shrinks to what it last took, so a slow reader
// does not re-read 500 records to take 20.
//
// Fan-out: subscribers of one run share a feed. On a signal the feed reads the new records
// once and serializes each once; caught-up subscribers are served from that small cache, so a
// thousand streams on one run cost one read, not a thousand.

import type { RuntimeStore, Store } from '../store/types.js';
import type { StepRecord } from '../model/run.js';

/** A full consumer: it took the first `taken` records; the rest are read again once `ready` settles. */
export interface Backpressure {
  taken: number;
  ready: Promise<void>;
}

/**
 * Receives records after its cursor, their JSON text, and the cursor after them. Returns nothing
 * when it took them all and can take more, or a Backpressure when it is full.
 */
export type LedgerConsumer = (records: StepRecord[], cursor: number, json: string[]) => void | Backpressure | Promise<void | Backpressure>;

export interface LedgerSubscription {
  readonly cursor: number;
  close(): void;
}

const PAGE = 500;
/** Smallest page a slow consumer is offered. */
const MIN_PAGE = 8;
/** Records kept per run for subscribers that are caught up. */
const CACHE = 512;

interface Entries {
  records: StepRecord[];
  json: string[];
}

/** Records keep their stored JSON text: streams forward it instead of re-serializing. */
const parsed = (page: { json: string[] }): Entries => ({ records: page.json.map((j) => JSON.parse(j) as StepRecord), json: page.json });

class Subscription implements LedgerSubscription {
  closed = false;
  private pumping = false;
  private again = false;
  /** Records offered per read: halved to what a full consumer took, doubled back after. */
  private pageSize = PAGE;

  constructor(
    private readonly feed: RunFeed,
    public cursor: number,
    private readonly consumer: LedgerConsumer,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Deliver everything after the cursor; concurrent signals collapse into one more round. */
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
          const page = await this.feed.read(this.cursor, this.pageSize);
          const offered = page.records.length;
          if (offered === 0 || this.closed) break;
          const full = await this.consumer(page.records, this.cursor + offered, page.json);
          this.cursor += full ? full.taken : offered;
          this.pageSize = full ? Math.max(MIN_PAGE, full.taken) : Math.min(PAGE, this.pageSize * 2);
          if (full) await full.ready; // the untaken records are dropped, not held meanwhile
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
    this.feed.remove(this);
  }
}

/** One run's subscribers and the records recently appended to it. */
class RunFeed {
  readonly subs = new Set<Subscription>();
  /** Cached entries cover seqs cacheStart+1 … cacheStart+cache.records.length. */
  private cacheStart = -1;
  private cache: Entries = { records: [], json: [] };
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly store: RuntimeStore,
    readonly runId: string,
    private readonly onEmpty: (feed: RunFeed) => void,
  ) {}

  private get cacheEnd(): number {
    return this.cacheStart + this.cache.records.length;
  }

  /** Up to `limit` entries after `after`: from the cache when possible, else from the store. */
  async read(after: number, limit: number): Promise<Entries> {
    if (this.cacheStart >= 0 && after >= this.cacheStart) {
      // At or past the cache head: nothing new until the next signal (which pumps again).
      const i = after - this.cacheStart;
      return { records: this.cache.records.slice(i, i + limit), json: this.cache.json.slice(i, i + limit) };
    }
    return parsed(await this.store.readLedgerJson(this.runId, after, limit));
  }

  /** The run's ledger grew: read the new records once, then wake every subscriber. */
  signal(lastSeq: number): void {
    if (this.refreshing) {
      void this.refreshing.then(() => this.signal(lastSeq));
      return;
    }
    this.refreshing = this.refresh(lastSeq)
      .catch(() => {
        this.cacheStart = -1; // subscribers fall back to reading the store themselves
      })
      .finally(() => {
        this.refreshing = null;
        for (const s of this.subs) void s.pump();
      });
  }

  private async refresh(lastSeq: number): Promise<void> {
    if (this.cacheStart < 0 || lastSeq - this.cacheEnd > CACHE) {
      // Start (or restart) the cache just before the new records.
      this.cacheStart = Math.max(0, lastSeq - 1);
      this.cache = { records: [], json: [] };
    }
    while (this.cacheEnd < lastSeq) {
      const page = parsed(await this.store.readLedgerJson(this.runId, this.cacheEnd, PAGE));
      if (page.records.length === 0) break;
      this.cache.records.push(...page.records);
      this.cache.json.push(...page.json);
    }
    const excess = this.cache.records.length - CACHE;
    if (excess > 0) {
      this.cache.records.splice(0, excess);
      this.cache.json.splice(0, excess);
      this.cacheStart += excess;
    }
  }

  /** Fallback for appends by other processes: one length check per run. */
  async poll(): Promise<void> {
    const sr = await this.store.getRun(this.runId);
    if (sr && [...this.subs].some((s) => s.cursor < sr.ledger_len)) this.signal(sr.ledger_len);
  }

  remove(sub: Subscription): void {
    this.subs.delete(sub);
    if (this.subs.size === 0) this.onEmpty(this);
  }
}

export class LedgerWatcher {
  private readonly feeds = new Map<string, RunFeed>();
  private readonly unsubscribe: () => void;
  private pollTimer: NodeJS.Timeout | null = null;

  /** @param pollMs fallback check for appends made by other processes (0 = off). */
  constructor(
    source: Store,
    private readonly store: RuntimeStore,
    pollMs = 1000,
  ) {
    this.unsubscribe = source.notifier.on('ledger', (runtimeId, runId, lastSeq) => {
      if (runtimeId === store.runtimeId) this.feeds.get(runId)?.signal(lastSeq);
    });
    if (pollMs > 0) {
      this.pollTimer = setInterval(() => {
        for (const feed of this.feeds.values()) void feed.poll().catch(() => undefined);
      }, pollMs);
      this.pollTimer.unref();
    }
  }

  /** Deliver every record after `after`, then each new one, until closed. */
  watch(runId: string, after: number, consumer: LedgerConsumer, onError: (e: unknown) => void = () => undefined): LedgerSubscription {
    let feed = this.feeds.get(runId);
    if (!feed) this.feeds.set(runId, (feed = new RunFeed(this.store, runId, (f) => this.feeds.delete(f.runId))));
    const sub = new Subscription(feed, after, consumer, onError);
    feed.subs.add(sub); // registered before the replay below
    void sub.pump();
    return sub;
  }

  close(): void {
    this.unsubscribe();
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const feed of this.feeds.values()) for (const s of [...feed.subs]) s.close();
    this.feeds.clear();
  }
}
