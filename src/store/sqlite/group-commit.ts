// Group commit: every write goes through one queue on the writer connection. A batch is one
// BEGIN IMMEDIATE … COMMIT; each job runs inside its own SAVEPOINT, so a job that throws is
// undone alone while the others in the batch still commit. Promises resolve (and change
// signals are emitted) only after COMMIT. A storage fault (full disk, read-only file, I/O
// error) rejects with its 503 (../faults.ts) and every outcome is reported to WriteHealth.

import type { Hint } from '../notifier.js';
import { asStorageFault, isStorageFault } from '../faults.js';
import type { WriteHealth } from '../write-health.js';
import type { Conn } from './connection.js';

/**
 * Time one COMMIT may gather work for: the transaction runs synchronously, so this bounds the
 * event-loop stall; jobs left over go to the next batch (after other callbacks had their turn).
 */
const BATCH_BUDGET_MS = 8;

/** What a job sees of its own execution. */
export interface JobContext {
  /** False once the job has settled: late calls (from escaped async work) must fail. */
  open: boolean;
  /** Where the job records its signals (its batch's list, cut back if the job rolls back). */
  signals: Hint[];
}

export type Work<T> = (job: JobContext) => T | Promise<T>;

// One object per job (tens of thousands may be queued at once): the queue entry is the context.
interface Job extends JobContext {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  committed: boolean;
  value: unknown;
  /** Set when the job's own work failed (its savepoint was rolled back). */
  failure?: { err: unknown };
  /** Runs alone, outside any batch transaction, with the connection to itself (the write probe). */
  alone?: (c: Conn) => unknown;
}

const NOT_STARTED: Hint[] = []; // replaced by the batch's list before the job runs

const ESCAPED = 'Store transaction callback awaited something other than its StoreTx methods (I/O, timer or another transaction)';

export class GroupCommitter {
  private queue: Job[] = [];
  private scheduled = false;
  private running = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /** Rejects the job being awaited; called when the event-loop turn it started in ends. */
  private abortPending: ((err: Error) => void) | null = null;
  private turnWatched = false;
  /** Queued `alone` jobs: the queue is only searched for them when there are some. */
  private aloneQueued = 0;

  constructor(
    private readonly conn: Conn,
    private readonly onCommit: (signals: Hint[]) => void,
    private readonly health?: WriteHealth,
  ) {}

  submit<T>(work: Work<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('Store is closed'));
    return new Promise<T>((resolve, reject) => {
      const settle = resolve as (v: unknown) => void;
      this.queue.push({ open: true, signals: NOT_STARTED, work, resolve: settle, reject, committed: false, value: undefined });
      this.schedule();
    });
  }

  /** Run `work` on the connection between two batches, managing its own transactions. */
  submitAlone<T>(work: (c: Conn) => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('Store is closed'));
    return new Promise<T>((resolve, reject) => {
      const settle = resolve as (v: unknown) => void;
      const job: Job = { open: true, signals: NOT_STARTED, work: () => undefined, resolve: settle, reject, committed: false, value: undefined, alone: work };
      this.queue.push(job);
      this.aloneQueued++;
      this.schedule();
    });
  }

  /** Refuse new work and wait until everything already queued has committed. */
  close(): Promise<void> {
    this.closed = true;
    if (!this.running && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // setImmediate (not a microtask) so that every tx issued in this turn joins the batch.
  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    const batch = this.takeBatch();
    try {
      if (batch.length === 1 && batch[0].alone) this.runAlone(batch[0]);
      else await this.runBatch(batch);
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.schedule();
      else for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Everything queued, up to the first `alone` job (which is taken by itself). */
  private takeBatch(): Job[] {
    const cut = this.aloneQueued === 0 ? -1 : this.queue.findIndex((j) => j.alone);
    if (cut < 0) {
      const all = this.queue;
      this.queue = [];
      return all;
    }
    if (cut === 0) this.aloneQueued--;
    return this.queue.splice(0, Math.max(cut, 1));
  }

  private runAlone(job: Job): void {
    try {
      job.resolve(job.alone!(this.conn));
    } catch (err) {
      job.reject(asStorageFault(err));
    }
  }

  private async runBatch(batch: Job[]): Promise<void> {
    const c = this.conn;
    const signals: Hint[] = [];
    // A storage fault inside a job may roll the whole transaction back (SQLite does for
    // SQLITE_FULL): the batch then fails on "no such savepoint", and the fault is the reason.
    let fault: unknown;
    const changesBefore = this.health ? this.totalChanges() : 0;
    try {
      c.stmt('BEGIN IMMEDIATE').run();
      const started = performance.now();
      for (let i = 0; i < batch.length; i++) {
        if (i > 0 && performance.now() - started > BATCH_BUDGET_MS) {
          this.queue.unshift(...batch.splice(i));
          break;
        }
        const job = batch[i]!;
        const mark = signals.length;
        job.signals = signals;
        c.stmt('SAVEPOINT job').run();
        try {
          const out = job.work(job);
          job.value = out instanceof Promise ? await this.settleThisTurn(out) : out;
          job.open = false;
          c.stmt('RELEASE job').run();
          job.committed = true;
        } catch (err) {
          job.open = false;
          if (fault === undefined && isStorageFault(err)) fault = err;
          signals.length = mark;
          c.stmt('ROLLBACK TO job').run();
          c.stmt('RELEASE job').run();
          job.failure = { err }; // settled after COMMIT, so the caller sees the batch's writes
        }
      }
      this.abortPending = null; // every job has settled
      c.stmt('COMMIT').run();
    } catch (err) {
      // BEGIN/COMMIT/savepoint failure (disk full, lock timeout…): the whole batch is lost.
      // Rejecting a job that already failed on its own is a no-op.
      try {
        if (c.db.inTransaction) c.stmt('ROLLBACK').run();
      } catch {
        // The connection could not even roll back (I/O error): SQLite abandons the transaction.
      }
      const reason = asStorageFault(isStorageFault(err) || fault === undefined ? err : fault);
      this.health?.failed(reason);
      for (const job of batch) {
        job.open = false;
        job.reject(reason);
      }
      return;
    }
    if (fault !== undefined) this.health?.failed(fault);
    else if (this.health && this.totalChanges() > changesBefore) this.health.committed();
    for (const job of batch) {
      if (job.committed) job.resolve(job.value);
      else if (job.failure) job.reject(asStorageFault(job.failure.err));
    }
    if (signals.length > 0) this.onCommit(signals);
  }

  /** Rows changed on this connection so far: a batch that wrote nothing proves nothing about the disk. */
  private totalChanges(): number {
    return this.conn.stmt('SELECT total_changes()').pluck().get() as number;
  }

  /**
   * A job may only await its StoreTx methods, which settle within the current turn. If it is
   * still pending once the event loop moves on (it awaited I/O, a timer, or another tx), the
   * whole batch would stall behind it: reject it instead and roll its savepoint back. One
   * setImmediate per turn serves every job that runs in it.
   */
  private settleThisTurn<T>(p: Promise<T>): Promise<T> {
    if (!this.turnWatched) {
      this.turnWatched = true;
      setImmediate(() => {
        this.turnWatched = false;
        const abort = this.abortPending;
        this.abortPending = null;
        abort?.(new Error(ESCAPED));
      });
    }
    return new Promise<T>((resolve, reject) => {
      this.abortPending = reject;
      p.then(resolve, reject);
    });
  }
}
