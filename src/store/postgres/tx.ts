// StoreTx on one PostgreSQL transaction: each method is one or two statements on the
// transaction's connection; the changes it makes are recorded as hints to publish after COMMIT.
// Expected failures (a duplicate run, a stale version, a settled command) are detected without
// a SQL error, because any SQL error aborts the whole PostgreSQL transaction.

import type { RunState, StepRecord, WaitReason } from '../../model/run.js';
import { isoFromMs, type Clock } from '../../model/time.js';
import type { StoredRun, StoreTx, UpdateRunOptions } from '../types.js';
import type { Queryable, TxContext } from './backend.js';
import * as commands from './commands.js';
import * as ledger from './ledger.js';
import * as runs from './runs.js';

export class PgTx implements StoreTx {
  constructor(
    private readonly ctx: TxContext,
    private readonly runtimeId: string,
    private readonly clock: Clock,
  ) {}

  nowIso(): string {
    return isoFromMs(this.clock.nowMs());
  }

  async getRun(runId: string): Promise<StoredRun | null> {
    return runs.getRun(this.live(), this.runtimeId, runId, true);
  }

  async insertRun(run: RunState): Promise<void> {
    if ((await runs.insertRun(this.live(), this.runtimeId, run)) !== null) this.signalRunnable();
  }

  async updateRun(run: RunState, expectedVersion: number, opts: UpdateRunOptions = {}): Promise<number> {
    const out = await runs.updateRun(this.live(), this.runtimeId, run, expectedVersion, opts);
    if (out.wakesRunners) this.signalRunnable();
    return out.version;
  }

  async appendLedger(runId: string, records: StepRecord[]): Promise<number> {
    const lastSeq = await ledger.appendLedger(this.live(), this.runtimeId, runId, records);
    if (records.length > 0) this.ctx.hints.push({ kind: 'ledger', runtimeId: this.runtimeId, runId, lastSeq });
    return lastSeq;
  }

  async findCompletedRecord(runId: string, idempotencyKey: string): Promise<StepRecord | null> {
    return ledger.findCompletedRecord(this.live(), this.runtimeId, runId, idempotencyKey);
  }

  async findWaitingRecord(runId: string, waitKey: string): Promise<StepRecord | null> {
    return ledger.findWaitingRecord(this.live(), this.runtimeId, runId, waitKey);
  }

  async findWaitingRuns(reason: WaitReason, waitKeys: string[], limit: number): Promise<StoredRun[]> {
    return runs.findWaitingRuns(this.live(), this.runtimeId, reason, waitKeys, limit);
  }

  async listChildren(parentRunId: string): Promise<StoredRun[]> {
    return runs.listChildren(this.live(), this.runtimeId, parentRunId);
  }

  async settleCommand(seq: number, state: 'applied' | 'rejected', reason: string | null, appliedAt: string): Promise<void> {
    return commands.settleCommand(this.live(), this.runtimeId, seq, state, reason, appliedAt);
  }

  /** The connection, as long as this transaction is still open. */
  private live(): Queryable {
    if (!this.ctx.open) throw new Error('Store transaction is already finished; its methods can no longer be used');
    return this.ctx.c;
  }

  private signalRunnable(): void {
    this.ctx.hints.push({ kind: 'runnable', runtimeId: this.runtimeId });
  }
}
