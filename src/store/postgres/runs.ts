// Run rows on PostgreSQL: the checkpoint JSON plus the columns derived from it on every write
// (../run-columns.ts). ledger_len is a column here: an append locks the run's row and bumps it.

import type { RunState, WaitReason } from '../../model/run.js';
import { parseIsoMs } from '../../model/time.js';
import { derivedColumns, runNotFound, toStoredRun, wakesRunners, type RunRow } from '../run-columns.js';
import { LeaseLost, VersionConflict, type RunListQuery, type RunStamp, type StoredRun, type UpdateRunOptions } from '../types.js';
import { sql, type Queryable } from './backend.js';

const RUN_COLUMNS = 'run_json, version, ledger_len, lease_owner, lease_epoch';
const DEFAULT_LIST_LIMIT = 100;

/**
 * `forUpdate` (inside a transaction): lock the row until COMMIT, so that a transaction that read
 * a run writes it back without a concurrent writer in between — as SQLite's single writer
 * guarantees. Two runners applying commands to one run then take turns instead of conflicting.
 */
export async function getRun(c: Queryable, runtimeId: string, runId: string, forUpdate = false): Promise<StoredRun | null> {
  const [row] = await sql<RunRow>(c, `SELECT ${RUN_COLUMNS} FROM runs WHERE runtime_id = $1 AND run_id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [
    runtimeId,
    runId,
  ]);
  return row ? toStoredRun(row) : null;
}

/** Version and ledger length only: what read caches key on, without the checkpoint JSON. */
export async function getRunStamp(c: Queryable, runtimeId: string, runId: string): Promise<RunStamp | null> {
  const [row] = await sql<RunStamp>(c, 'SELECT version, ledger_len FROM runs WHERE runtime_id = $1 AND run_id = $2', [runtimeId, runId]);
  return row ?? null;
}

/** Inserts the run at version 1; returns its runnable_at_ms. */
export async function insertRun(c: Queryable, runtimeId: string, run: RunState): Promise<number | null> {
  const d = derivedColumns(run);
  // ON CONFLICT instead of catching a unique violation: an error would abort the whole transaction.
  const rows = await sql(
    c,
    `INSERT INTO runs (runtime_id, run_id, workflow_id, status, wait_reason, wait_key, wait_until_ms, paused, parent_run_id,
       session_id, created_at, updated_at, updated_at_ms, run_json, version, runnable_at_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15)
     ON CONFLICT (runtime_id, run_id) DO NOTHING RETURNING run_key`,
    [runtimeId, d.run_id, d.workflow_id, d.status, d.wait_reason, d.wait_key, d.wait_until_ms, d.paused === 1, d.parent_run_id,
      d.session_id, d.created_at, d.updated_at, d.updated_at_ms, d.run_json, d.runnable_at_ms],
  );
  if (rows.length === 0) throw new Error(`Run '${run.run_id}' already exists`);
  return d.runnable_at_ms;
}

export interface UpdateOutcome {
  version: number;
  /** Whether runners may now find work they could not before (signal 'runnable'). */
  wakesRunners: boolean;
}

export async function updateRun(c: Queryable, runtimeId: string, run: RunState, expectedVersion: number, opts: UpdateRunOptions): Promise<UpdateOutcome> {
  // FOR UPDATE: the row stays ours until COMMIT, so the checks below hold for the UPDATE.
  const [cur] = await sql<{ version: number; lease_owner: string | null; lease_epoch: number; runnable_at_ms: number | null }>(
    c,
    'SELECT version, lease_owner, lease_epoch, runnable_at_ms FROM runs WHERE runtime_id = $1 AND run_id = $2 FOR UPDATE',
    [runtimeId, run.run_id],
  );
  if (!cur) throw runNotFound(run.run_id);
  if (opts.fence && (cur.lease_owner !== opts.fence.owner || cur.lease_epoch !== opts.fence.epoch)) throw new LeaseLost(run.run_id);
  if (cur.version !== expectedVersion) throw new VersionConflict(run.run_id);

  const d = derivedColumns(run);
  if (d.runnable_at_ms === 0 && opts.requeueAtMs !== undefined) d.runnable_at_ms = opts.requeueAtMs;
  const release = opts.releaseLease === true;
  await sql(
    c,
    `UPDATE runs SET workflow_id = $3, status = $4, wait_reason = $5, wait_key = $6, wait_until_ms = $7, paused = $8,
       parent_run_id = $9, session_id = $10, created_at = $11, updated_at = $12, updated_at_ms = $13, run_json = $14,
       runnable_at_ms = $15, version = version + 1,
       lease_owner = CASE WHEN $16 THEN NULL ELSE lease_owner END,
       lease_expires_ms = CASE WHEN $16 THEN NULL ELSE lease_expires_ms END
     WHERE runtime_id = $1 AND run_id = $2`,
    [runtimeId, d.run_id, d.workflow_id, d.status, d.wait_reason, d.wait_key, d.wait_until_ms, d.paused === 1, d.parent_run_id,
      d.session_id, d.created_at, d.updated_at, d.updated_at_ms, d.run_json, d.runnable_at_ms, release],
  );
  return { version: expectedVersion + 1, wakesRunners: wakesRunners(cur, d.runnable_at_ms, release) };
}

export async function listRuns(c: Queryable, runtimeId: string, q: RunListQuery): Promise<StoredRun[]> {
  const values: unknown[] = [runtimeId];
  const where = ['runtime_id = $1'];
  const add = (cond: (p: string) => string, value: unknown) => {
    values.push(value);
    where.push(cond(`$${values.length}`));
  };
  for (const column of ['status', 'workflow_id', 'session_id', 'parent_run_id'] as const) {
    if (q[column] !== undefined) add((p) => `${column} = ${p}`, q[column]);
  }
  if (q.root_only) where.push('parent_run_id IS NULL');
  if (q.before_updated_at !== undefined) {
    const before = parseIsoMs(q.before_updated_at);
    if (!Number.isFinite(before)) throw new Error(`Invalid before_updated_at: '${q.before_updated_at}'`);
    add((p) => `updated_at_ms < ${p}`, before);
  }
  values.push(q.limit ?? DEFAULT_LIST_LIMIT);
  const text = `SELECT ${RUN_COLUMNS} FROM runs WHERE ${where.join(' AND ')} ORDER BY updated_at_ms DESC, run_key DESC LIMIT $${values.length}`;
  return (await sql<RunRow>(c, text, values)).map(toStoredRun);
}

export async function findWaitingRuns(c: Queryable, runtimeId: string, reason: WaitReason, waitKeys: string[], limit: number): Promise<StoredRun[]> {
  if (waitKeys.length === 0) return [];
  const rows = await sql<RunRow>(
    c,
    `SELECT ${RUN_COLUMNS} FROM runs
     WHERE runtime_id = $1 AND status = 'waiting' AND wait_reason = $2 AND wait_key = ANY($3::text[])
     ORDER BY run_key LIMIT $4`,
    [runtimeId, reason, waitKeys, limit],
  );
  return rows.map(toStoredRun);
}

/** Children in insertion order (= oldest first). */
export async function listChildren(c: Queryable, runtimeId: string, parentRunId: string): Promise<StoredRun[]> {
  const rows = await sql<RunRow>(c, `SELECT ${RUN_COLUMNS} FROM runs WHERE runtime_id = $1 AND parent_run_id = $2 ORDER BY run_key`, [
    runtimeId,
    parentRunId,
  ]);
  return rows.map(toStoredRun);
}
