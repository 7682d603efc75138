// StoreTx for one group-commit job: synchronous SQL on the writer connection, wrapped in
// promises; the changes it makes are recorded as signals to emit after COMMIT.

import type { RunState, StepRecord, WaitReason } from '../../model/run.js';
import { isoFromMs, type Clock } from '../../model/time.js';
import type { StoredRun, StoreTx, UpdateRunOptions } from '../types.js';
import * as commands from './commands.js';
import type { Conn } from './connection.js';
import type { JobContext } from './group-commit.js';
import * as ledger from './ledger.js';
import * as runs from './runs.js';

export class SqliteTx implements StoreTx {
  constructor(
    private readonly c: Conn,
    private readonly runtimeId: string,
    private readonly job: JobContext,
    private readonly clock: Clock,
  ) {}

  nowIso(): string {
    return isoFromMs(this.clock.nowMs());
  }

  async getRun(runId: string): Promise<StoredRun | null> {
    return runs.getRun(this.live(), this.runtimeId, runId);
  }

  async insertRun(run: RunState): Promise<void> {
    if (runs.insertRun(this.live(), this.runtimeId, run) !== null) this.signalRunnable();
  }

  async updateRun(run: RunState, expectedVersion: number, opts: UpdateRunOptions = {}): Promise<number> {
    const out = runs.updateRun(this.live(), this.runtimeId, run, expectedVersion, opts);
    if (out.wakesRunners) this.signalRunnable();
    return out.version;
  }

  async appendLedger(runId: string, records: StepRecord[]): Promise<number> {
    const lastSeq = ledger.appendLedger(this.live(), this.runtimeId, runId, records);
    if (records.length > 0) this.job.signals.push({ kind: 'ledger', runtimeId: this.runtimeId, runId, lastSeq });
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
    commands.settleCommand(this.live(), this.runtimeId, seq, state, reason, appliedAt);
  }

  /** The connection, as long as this job is still the one running in the batch. */
  private live(): Conn {
    if (!this.job.open) throw new Error('Store transaction is already finished; its methods can no longer be used');
    return this.c;
  }

  private signalRunnable(): void {
    this.job.signals.push({ kind: 'runnable', runtimeId: this.runtimeId });
  }
}
