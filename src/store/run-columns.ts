// The columns every backend derives from a run checkpoint on each write: what claims, lists
// and waits are indexed by. One definition, so both backends index a run the same way.

import type { RunState, WaitReason } from '../model/run.js';
import { parseIsoMs } from '../model/time.js';
import type { StoredRun } from './types.js';

/** The columns a StoredRun is read from. */
export interface RunRow {
  run_json: string;
  version: number;
  ledger_len: number;
  lease_owner: string | null;
  lease_epoch: number;
}

export function toStoredRun(row: RunRow): StoredRun {
  return {
    run: JSON.parse(row.run_json) as RunState,
    version: row.version,
    ledger_len: row.ledger_len,
    lease_owner: row.lease_owner,
    lease_epoch: row.lease_epoch,
  };
}

export function runNotFound(runId: string): Error {
  return new Error(`Run '${runId}' not found`);
}

/** Index columns derived from the checkpoint (named after the table's columns). */
export function derivedColumns(run: RunState) {
  const updatedMs = parseIsoMs(run.updated_at);
  if (!Number.isFinite(updatedMs)) throw new Error(`Run '${run.run_id}' has an invalid updated_at: '${run.updated_at}'`);
  const w = run.status === 'waiting' ? run.waiting : null;
  const untilMs = w?.until ? parseIsoMs(w.until) : NaN;
  const paused = run.vars?._runtime?.control?.paused === true;
  return {
    run_id: run.run_id,
    workflow_id: run.workflow_id,
    status: run.status,
    wait_reason: w?.reason ?? null,
    wait_key: w?.wait_key ?? null,
    wait_until_ms: Number.isFinite(untilMs) ? untilMs : null,
    paused: paused ? 1 : 0,
    parent_run_id: run.parent_run_id ?? null,
    session_id: run.session_id ?? null,
    created_at: run.created_at,
    updated_at: run.updated_at,
    updated_at_ms: updatedMs,
    run_json: JSON.stringify(run),
    runnable_at_ms: runnableAt(run.status, w?.reason, untilMs, paused),
  };
}

export type DerivedColumns = ReturnType<typeof derivedColumns>;

/** 0 = runnable now, >0 = timer instant, null = only a command or event can wake it. */
function runnableAt(status: RunState['status'], reason: WaitReason | undefined, untilMs: number, paused: boolean): number | null {
  if (paused) return null;
  if (status === 'running') return 0;
  // A timer wait with a missing/unparsable instant is due at once, so the runtime gets to see it.
  if (status === 'waiting' && reason === 'until') return Number.isFinite(untilMs) ? untilMs : 0;
  return null;
}

/**
 * Whether an update lets runners find work they could not before (signal 'runnable'): the run
 * is runnable at a new instant, or its lease was handed back while runnable.
 */
export function wakesRunners(before: { runnable_at_ms: number | null; lease_owner: string | null }, after: number | null, released: boolean): boolean {
  return after !== null && (after !== before.runnable_at_ms || (released && before.lease_owner !== null));
}
