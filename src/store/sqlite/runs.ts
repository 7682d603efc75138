// Run rows: the checkpoint JSON plus columns derived from it on every write.

import type { RunState, WaitReason } from '../../model/run.js';
import { parseIsoMs } from '../../model/time.js';
import { derivedColumns, runNotFound, toStoredRun, wakesRunners, type RunRow } from '../run-columns.js';
import { LeaseLost, VersionConflict, type Fence, type RunListQuery, type RunStamp, type StoredRun, type UpdateRunOptions } from '../types.js';
import type { Conn } from './connection.js';

/** SQL expression: the ledger length (= last seq) of the `runs` row in scope. */
export const LEDGER_LEN_SQL = 'IFNULL((SELECT MAX(seq) FROM ledger_records WHERE run_key = runs.run_key), 0)';

const RUN_COLUMNS = `run_json, version, ${LEDGER_LEN_SQL} AS ledger_len, lease_owner, lease_epoch`;
const GET_RUN_SQL = `SELECT ${RUN_COLUMNS} FROM runs WHERE runtime_id = ? AND run_id = ?`; // hot: built once
const GET_STAMP_SQL = `SELECT version, ${LEDGER_LEN_SQL} AS ledger_len FROM runs WHERE runtime_id = ? AND run_id = ?`;
const DEFAULT_LIST_LIMIT = 100;

export function getRun(c: Conn, runtimeId: string, runId: string): StoredRun | null {
  const row = c.stmt(GET_RUN_SQL).get(runtimeId, runId) as RunRow | undefined;
  return row ? toStoredRun(row) : null;
}

export function getRunStamp(c: Conn, runtimeId: string, runId: string): RunStamp | null {
  return (c.stmt(GET_STAMP_SQL).get(runtimeId, runId) as RunStamp | undefined) ?? null;
}

/** Inserts the run at version 1; returns its runnable_at_ms. */
export function insertRun(c: Conn, runtimeId: string, run: RunState): number | null {
  const cols = derivedColumns(run);
  try {
    c.stmt(
      `INSERT INTO runs (runtime_id, run_id, workflow_id, status, wait_reason, wait_key, wait_until_ms, paused, parent_run_id,
         session_id, created_at, updated_at, updated_at_ms, run_json, version, lease_epoch, runnable_at_ms)
       VALUES (@runtime_id, @run_id, @workflow_id, @status, @wait_reason, @wait_key, @wait_until_ms, @paused, @parent_run_id,
         @session_id, @created_at, @updated_at, @updated_at_ms, @run_json, 1, 0, @runnable_at_ms)`,
    ).run({ runtime_id: runtimeId, ...cols });
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new Error(`Run '${run.run_id}' already exists`);
    throw err;
  }
  return cols.runnable_at_ms;
}

export interface UpdateOutcome {
  version: number;
  /** Whether runners may now find work they could not before (signal 'runnable'). */
  wakesRunners: boolean;
}

export function updateRun(
  c: Conn,
  runtimeId: string,
  run: RunState,
  expectedVersion: number,
  opts: UpdateRunOptions,
): UpdateOutcome {
  // Every write runs inside the group-commit IMMEDIATE transaction, so no other writer can
  // slip between this read and the UPDATE; reading first also yields the old runnable_at.
  const cur = c
    .stmt('SELECT version, lease_owner, lease_epoch, runnable_at_ms FROM runs WHERE runtime_id = ? AND run_id = ?')
    .get(runtimeId, run.run_id) as { version: number; lease_owner: string | null; lease_epoch: number; runnable_at_ms: number | null } | undefined;
  if (!cur) throw runNotFound(run.run_id);
  if (opts.fence && (cur.lease_owner !== opts.fence.owner || cur.lease_epoch !== opts.fence.epoch)) throw new LeaseLost(run.run_id);
  if (cur.version !== expectedVersion) throw new VersionConflict(run.run_id);

  const cols = derivedColumns(run);
  if (cols.runnable_at_ms === 0 && opts.requeueAtMs !== undefined) cols.runnable_at_ms = opts.requeueAtMs;
  const release = opts.releaseLease === true;
  c.stmt(
    `UPDATE runs SET workflow_id = @workflow_id, status = @status, wait_reason = @wait_reason, wait_key = @wait_key,
       wait_until_ms = @wait_until_ms, paused = @paused, parent_run_id = @parent_run_id, session_id = @session_id,
       created_at = @created_at, updated_at = @updated_at, updated_at_ms = @updated_at_ms, run_json = @run_json,
       runnable_at_ms = @runnable_at_ms, version = version + 1,
       lease_owner = CASE WHEN @release THEN NULL ELSE lease_owner END,
       lease_expires_ms = CASE WHEN @release THEN NULL ELSE lease_expires_ms END
     WHERE runtime_id = @runtime_id AND run_id = @run_id`,
  ).run({ runtime_id: runtimeId, release: release ? 1 : 0, ...cols });
  return { version: expectedVersion + 1, wakesRunners: wakesRunners(cur, cols.runnable_at_ms, release) };
}

export function listRuns(c: Conn, runtimeId: string, q: RunListQuery): StoredRun[] {
  const where = ['runtime_id = @runtime_id'];
  const params: Record<string, unknown> = { runtime_id: runtimeId, limit: q.limit ?? DEFAULT_LIST_LIMIT };
  const eq = (column: 'status' | 'workflow_id' | 'session_id' | 'parent_run_id', value: string | undefined) => {
    if (value === undefined) return;
    where.push(`${column} = @${column}`);
    params[column] = value;
  };
  eq('status', q.status);
  eq('workflow_id', q.workflow_id);
  eq('session_id', q.session_id);
  eq('parent_run_id', q.parent_run_id);
  if (q.root_only) where.push('parent_run_id IS NULL');
  if (q.before_updated_at !== undefined) {
    const before = parseIsoMs(q.before_updated_at);
    if (!Number.isFinite(before)) throw new Error(`Invalid before_updated_at: '${q.before_updated_at}'`);
    where.push('updated_at_ms < @before');
    params.before = before;
  }
  // The filter combinations are few, so each distinct SQL text is prepared once and cached.
  const sql = `SELECT ${RUN_COLUMNS} FROM runs WHERE ${where.join(' AND ')} ORDER BY updated_at_ms DESC, rowid DESC LIMIT @limit + 0`;
  return (c.stmt(sql).all(params) as RunRow[]).map(toStoredRun);
}

export function findWaitingRuns(c: Conn, runtimeId: string, reason: WaitReason, waitKeys: string[], limit: number): StoredRun[] {
  if (waitKeys.length === 0) return [];
  const rows = c
    .stmt(
      `SELECT ${RUN_COLUMNS} FROM runs
       WHERE runtime_id = ? AND status = 'waiting' AND wait_reason = ? AND wait_key IN (SELECT value FROM json_each(?))
       ORDER BY rowid LIMIT ? + 0`,
    )
    .all(runtimeId, reason, JSON.stringify(waitKeys), limit) as RunRow[];
  return rows.map(toStoredRun);
}

/** Children in insertion order (= oldest first). */
export function listChildren(c: Conn, runtimeId: string, parentRunId: string): StoredRun[] {
  const rows = c
    .stmt(`SELECT ${RUN_COLUMNS} FROM runs WHERE runtime_id = ? AND parent_run_id = ? ORDER BY rowid`)
    .all(runtimeId, parentRunId) as RunRow[];
  return rows.map(toStoredRun);
}
