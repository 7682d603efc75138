// Runner leases on PostgreSQL. A lease is free when lease_expires_ms is NULL or in the past;
// lease_owner and lease_expires_ms are always set and cleared together. Claims lock their rows
// with FOR UPDATE SKIP LOCKED: concurrent claimers on any number of processes each take
// different runs without waiting for one another.

import type { Claim, Fence } from '../types.js';
import { sql, type Queryable } from './backend.js';

export async function claimRunnable(c: Queryable, runtimeId: string, owner: string, leaseMs: number, limit: number, nowMs: number): Promise<Claim[]> {
  const rows = await sql<Claim & { runnable_at_ms: number; run_key: number }>(
    c,
    `UPDATE runs SET lease_owner = $2, lease_expires_ms = $3, lease_epoch = lease_epoch + 1
     WHERE run_key IN (
       SELECT run_key FROM runs
       WHERE runtime_id = $1 AND runnable_at_ms <= $4 AND (lease_expires_ms IS NULL OR lease_expires_ms <= $4)
       ORDER BY runnable_at_ms, run_key LIMIT $5
       FOR UPDATE SKIP LOCKED)
     RETURNING run_id, lease_epoch, runnable_at_ms, run_key`,
    [runtimeId, owner, nowMs + leaseMs, nowMs, limit],
  );
  // RETURNING order is unspecified: hand out the longest-due runs first.
  rows.sort((a, b) => a.runnable_at_ms - b.runnable_at_ms || a.run_key - b.run_key);
  return rows.map(({ run_id, lease_epoch }) => ({ run_id, lease_epoch }));
}

export async function renewLease(c: Queryable, runtimeId: string, runId: string, fence: Fence, leaseMs: number, nowMs: number): Promise<boolean> {
  const rows = await sql(
    c,
    'UPDATE runs SET lease_expires_ms = $1 WHERE runtime_id = $2 AND run_id = $3 AND lease_owner = $4 AND lease_epoch = $5 RETURNING run_key',
    [nowMs + leaseMs, runtimeId, runId, fence.owner, fence.epoch],
  );
  return rows.length > 0;
}

/** Returns true when a still-runnable run was handed back (other runners may take it). */
export async function releaseLease(c: Queryable, runtimeId: string, runId: string, fence: Fence): Promise<boolean> {
  const [row] = await sql<{ runnable_at_ms: number | null }>(
    c,
    `UPDATE runs SET lease_owner = NULL, lease_expires_ms = NULL
     WHERE runtime_id = $1 AND run_id = $2 AND lease_owner = $3 AND lease_epoch = $4
     RETURNING runnable_at_ms`,
    [runtimeId, runId, fence.owner, fence.epoch],
  );
  return row !== undefined && row.runnable_at_ms !== null;
}

/**
 * Earliest instant at which some run can be claimed: its runnable_at if its lease is free,
 * else the later of runnable_at and lease expiry (a crashed runner's runs are taken over then).
 * May lie in the past: the runner compares with its clock.
 */
export async function nextWakeAt(c: Queryable, runtimeId: string): Promise<number | null> {
  const [row] = await sql<{ at: number | null }>(
    c,
    `SELECT LEAST(
       (SELECT runnable_at_ms FROM runs WHERE runtime_id = $1 AND runnable_at_ms IS NOT NULL AND lease_expires_ms IS NULL
        ORDER BY runnable_at_ms LIMIT 1),
       (SELECT MIN(GREATEST(runnable_at_ms, lease_expires_ms)) FROM runs
        WHERE runtime_id = $1 AND runnable_at_ms IS NOT NULL AND lease_expires_ms IS NOT NULL)) AS at`,
    [runtimeId],
  );
  return row?.at ?? null;
}
