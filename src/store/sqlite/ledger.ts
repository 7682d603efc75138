// The per-run append-only ledger: records keyed by (run_key, seq), seq 1..N contiguous per run;
// the run's highest seq is its head (see migration 2).

import type { StepRecord } from '../../model/run.js';
import type { LedgerJsonPage, LedgerPage } from '../types.js';
import type { Conn } from './connection.js';
import { runNotFound } from '../run-columns.js';
import { LEDGER_LEN_SQL } from './runs.js';

// Built once, not per call: the statement cache hashes the SQL text.
const HEAD_SQL = `SELECT run_key, ${LEDGER_LEN_SQL} FROM runs WHERE runtime_id = ? AND run_id = ?`;

/** Appends after the run's current head; returns the new last seq. */
export function appendLedger(c: Conn, runtimeId: string, runId: string, records: StepRecord[]): number {
  const row = c.stmt(HEAD_SQL).raw().get(runtimeId, runId) as [number, number] | undefined;
  if (row === undefined) throw runNotFound(runId);
  const [runKey, head] = row;
  const insert = c.stmt(
    'INSERT INTO ledger_records (run_key, seq, status, idempotency_key, wait_key, record_json) VALUES (?, ?, ?, ?, ?, ?)',
  );
  let seq = head;
  for (const r of records) {
    insert.run(runKey, ++seq, r.status, r.idempotency_key ?? null, waitKeyOf(r), JSON.stringify(r));
  }
  return seq;
}

function waitKeyOf(r: StepRecord): string | null {
  const key: unknown = r.status === 'waiting' ? r.result?.wait?.wait_key : null;
  return typeof key === 'string' ? key : null;
}

// The queries below reach the run's records through its row, scoped by runtime_id.
const OF_RUN = 'FROM runs JOIN ledger_records l USING (run_key) WHERE runs.runtime_id = ? AND runs.run_id = ?';

/** items = ledger[after : after+limit]; next_after = after + items.length (not clamped). */
/** The stored JSON text of ledger[after : after+limit]; next_after = after + count (not clamped). */
export function readLedgerJson(c: Conn, runtimeId: string, runId: string, after: number, limit: number): LedgerJsonPage {
  const json = c
    .stmt(`SELECT l.record_json ${OF_RUN} AND l.seq > ? ORDER BY l.seq LIMIT ? + 0`)
    .pluck()
    .all(runtimeId, runId, after, limit) as string[];
  return { json, next_after: after + json.length };
}

export function readLedger(c: Conn, runtimeId: string, runId: string, after: number, limit: number): LedgerPage {
  const page = readLedgerJson(c, runtimeId, runId, after, limit);
  return { items: page.json.map((j) => JSON.parse(j) as StepRecord), next_after: page.next_after };
}

export function findCompletedRecord(c: Conn, runtimeId: string, runId: string, idempotencyKey: string): StepRecord | null {
  const json = c
    .stmt(`SELECT l.record_json ${OF_RUN} AND l.idempotency_key = ? AND l.status = 'completed' ORDER BY l.seq LIMIT 1`)
    .pluck()
    .get(runtimeId, runId, idempotencyKey) as string | undefined;
  return json === undefined ? null : (JSON.parse(json) as StepRecord);
}

export function findWaitingRecord(c: Conn, runtimeId: string, runId: string, waitKey: string): StepRecord | null {
  const json = c
    .stmt(`SELECT l.record_json ${OF_RUN} AND l.wait_key = ? AND l.status = 'waiting' ORDER BY l.seq DESC LIMIT 1`)
    .pluck()
    .get(runtimeId, runId, waitKey) as string | undefined;
  return json === undefined ? null : (JSON.parse(json) as StepRecord);
}
