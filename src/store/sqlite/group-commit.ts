// Group commit: every write goes through one queue on the writer connection. A batch is one
// BEGIN IMMEDIATE … COMMIT; each job runs inside its own SAVEPOINT, so a job that throws is
// undone alone while the others in the batch still commit. Promises resolve (and change
// signals are emitted) only after COMMIT.

import type { Conn } from './connection.js';

/** A change a job made, announced to listeners once its batch has committed. */
export type Signal =
  | { kind: 'ledger'; runtimeId: string; runId: string; lastSeq: number }
  | { kind: 'runnable' | 'command'; runtimeId: string };

/** What a job sees of its own execution. */
export interface JobContext {
  /** False once the job has settled: late calls (from escaped async work) must fail. */
  open: boolean;
  signals: Signal[];
}

export type Work<T> = (job: JobContext) => T | Promise<T>;

interface Queued {
  work: Work<unknown>;
  job: JobContext;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export class GroupCommitter {
  private queue: Queued[] = [];
  private scheduled = false;
  private running = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly conn: Conn,
    private readonly onCommit: (signals: Signal[]) => void,
  ) {}

  submit<T>(work: Work<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('Store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, job: { open: true, signals: [] }, resolve: resolve as (v: unknown) => void, reject });
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
    const batch = this.queue;
    this.queue = [];
    try {
      await this.runBatch(batch);
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.schedule();
      else for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async runBatch(batch: Queued[]): Promise<void> {
    const c = this.conn;
    const committed: Array<{ q: Queued; value: unknown }> = [];
    try {
      c.stmt('BEGIN IMMEDIATE').run();
      for (const q of batch) {
        c.stmt('SAVEPOINT job').run();
        try {
          const out = q.work(q.job);
          const value = out instanceof Promise ? await settleThisTurn(out) : out;
          q.job.open = false;
          c.stmt('RELEASE job').run();
          committed.push({ q, value });
        } catch (err) {
          q.job.open = false;
          c.stmt('ROLLBACK TO job').run();
          c.stmt('RELEASE job').run();
          q.reject(err);
        }
      }
      c.stmt('COMMIT').run();
    } catch (err) {
      // BEGIN/COMMIT/savepoint failure (disk full, lock timeout…): the whole batch is lost.
      // Rejecting a job that already failed on its own is a no-op.
      if (c.db.inTransaction) c.stmt('ROLLBACK').run();
      for (const q of batch) {
        q.job.open = false;
        q.reject(err);
      }
      return;
    }
    const signals: Signal[] = [];
    for (const { q, value } of committed) {
      q.resolve(value);
      signals.push(...q.job.signals);
    }
    if (signals.length > 0) this.onCommit(signals);
  }
}

/**
 * A job may only await its StoreTx methods, which settle within the current turn. If it is
 * still pending once the event loop moves on (it awaited I/O, a timer, or another tx), the
 * whole batch would stall behind it: reject it instead and roll its savepoint back.
 */
function settleThisTurn<T>(p: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setImmediate(() =>
      reject(new Error('Store transaction callback awaited something other than its StoreTx methods (I/O, timer or another transaction)')),
    );
    p.then(
      (v) => {
        clearImmediate(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearImmediate(timer);
        reject(e);
      },
    );
  });
}
