// The per-run append-only ledger. seq is 1..ledger_len, contiguous; runs.ledger_len is the head.

import type { StepRecord } from '../../runtime/types.js';
import type { LedgerPage } from '../types.js';
import type { Conn } from './connection.js';
import { runNotFound } from './runs.js';

/** Appends after the run's current head; returns the new last seq. */
export function appendLedger(c: Conn, runtimeId: string, runId: string, records: StepRecord[]): number {
  const head = c
    .stmt('UPDATE runs SET ledger_len = ledger_len + ? WHERE runtime_id = ? AND run_id = ? RETURNING ledger_len')
    .pluck()
    .get(records.length, runtimeId, runId) as number | undefined;
  if (head === undefined) throw runNotFound(runId);
  const insert = c.stmt(
    'INSERT INTO ledger (runtime_id, run_id, seq, status, idempotency_key, wait_key, record_json) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  let seq = head - records.length;
  for (const r of records) {
    insert.run(runtimeId, runId, ++seq, r.status, r.idempotency_key ?? null, waitKeyOf(r), JSON.stringify(r));
  }
  return head;
}

function waitKeyOf(r: StepRecord): string | null {
  const key: unknown = r.status === 'waiting' ? r.result?.wait?.wait_key : null;
  return typeof key === 'string' ? key : null;
}

/** items = ledger[after : after+limit]; next_after = after + items.length (not clamped). */
export function readLedger(c: Conn, runtimeId: string, runId: string, after: number, limit: number): LedgerPage {
  const rows = c
    .stmt('SELECT record_json FROM ledger WHERE runtime_id = ? AND run_id = ? AND seq > ? ORDER BY seq LIMIT ?')
    .pluck()
    .all(runtimeId, runId, after, limit) as string[];
  return { items: rows.map((json) => JSON.parse(json) as StepRecord), next_after: after + rows.length };
}

export function findCompletedRecord(c: Conn, runtimeId: string, runId: string, idempotencyKey: string): StepRecord | null {
  const json = c
    .stmt(
      `SELECT record_json FROM ledger WHERE runtime_id = ? AND run_id = ? AND idempotency_key = ? AND status = 'completed'
       ORDER BY seq LIMIT 1`,
    )
    .pluck()
    .get(runtimeId, runId, idempotencyKey) as string | undefined;
  return json === undefined ? null : (JSON.parse(json) as StepRecord);
}

export function findWaitingRecord(c: Conn, runtimeId: string, runId: string, waitKey: string): StepRecord | null {
  const json = c
    .stmt(
      `SELECT record_json FROM ledger WHERE runtime_id = ? AND run_id = ? AND wait_key = ? AND status = 'waiting'
       ORDER BY seq DESC LIMIT 1`,
    )
    .pluck()
    .get(runtimeId, runId, waitKey) as string | undefined;
  return json === undefined ? null : (JSON.parse(json) as StepRecord);
}
