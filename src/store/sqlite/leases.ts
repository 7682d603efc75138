// Runner leases. A lease is free when lease_expires_ms is NULL or in the past; lease_owner and
// lease_expires_ms are always set and cleared together.

import type { Claim, Fence } from '../types.js';
import type { Conn } from './connection.js';

export function claimRunnable(c: Conn, runtimeId: string, owner: string, leaseMs: number, limit: number, nowMs: number): Claim[] {
  const rows = c
    .stmt(
      `UPDATE runs SET lease_owner = @owner, lease_expires_ms = @expires, lease_epoch = lease_epoch + 1
       WHERE runtime_id = @runtime_id AND run_id IN (
         SELECT run_id FROM runs
         WHERE runtime_id = @runtime_id AND runnable_at_ms <= @now AND (lease_expires_ms IS NULL OR lease_expires_ms <= @now)
         ORDER BY runnable_at_ms LIMIT @limit + 0)
       RETURNING run_id, lease_epoch, runnable_at_ms`,
    )
    .all({ runtime_id: runtimeId, owner, expires: nowMs + leaseMs, now: nowMs, limit }) as Array<Claim & { runnable_at_ms: number }>;
  // RETURNING order is unspecified: hand out the longest-due runs first.
  rows.sort((a, b) => a.runnable_at_ms - b.runnable_at_ms);
  return rows.map(({ run_id, lease_epoch }) => ({ run_id, lease_epoch }));
}

export function renewLease(c: Conn, runtimeId: string, runId: string, fence: Fence, leaseMs: number, nowMs: number): boolean {
  const res = c
    .stmt('UPDATE runs SET lease_expires_ms = ? WHERE runtime_id = ? AND run_id = ? AND lease_owner = ? AND lease_epoch = ?')
    .run(nowMs + leaseMs, runtimeId, runId, fence.owner, fence.epoch);
  return res.changes > 0;
}

/** Returns true when a still-runnable run was handed back (other runners may take it). */
export function releaseLease(c: Conn, runtimeId: string, runId: string, fence: Fence): boolean {
  const row = c
    .stmt(
      `UPDATE runs SET lease_owner = NULL, lease_expires_ms = NULL
       WHERE runtime_id = ? AND run_id = ? AND lease_owner = ? AND lease_epoch = ?
       RETURNING runnable_at_ms`,
    )
    .get(runtimeId, runId, fence.owner, fence.epoch) as { runnable_at_ms: number | null } | undefined;
  return row !== undefined && row.runnable_at_ms !== null;
}

/**
 * Earliest instant at which some run can be claimed: its runnable_at if its lease is free,
 * else the later of runnable_at and lease expiry (a crashed runner's runs are taken over then).
 * May lie in the past: the runner compares with its clock.
 */
export function nextWakeAt(c: Conn, runtimeId: string): number | null {
  const free = c
    .stmt('SELECT runnable_at_ms FROM runs WHERE runtime_id = ? AND runnable_at_ms IS NOT NULL AND lease_expires_ms IS NULL ORDER BY runnable_at_ms LIMIT 1')
    .pluck()
    .get(runtimeId) as number | undefined;
  const leased = c
    .stmt('SELECT MIN(MAX(runnable_at_ms, lease_expires_ms)) FROM runs WHERE runtime_id = ? AND runnable_at_ms IS NOT NULL AND lease_expires_ms IS NOT NULL')
    .pluck()
    .get(runtimeId) as number | null;
  const candidates = [free, leased].filter((t): t is number => typeof t === 'number');
  return candidates.length > 0 ? Math.min(...candidates) : null;
}
