// The per-run append-only ledger on PostgreSQL: records keyed by (run_key, seq), seq 1..N
// contiguous per run. An append bumps runs.ledger_len first, which locks the run's row: two
// appends to one run (from two runners, or two API nodes) take turns, never the same seq.

import type { StepRecord } from '../../model/run.js';
import { runNotFound } from '../run-columns.js';
import type { LedgerJsonPage } from '../types.js';
import { sql, type Queryable } from './backend.js';

/** Appends after the run's current head; returns the new last seq. */
export async function appendLedger(c: Queryable, runtimeId: string, runId: string, records: StepRecord[]): Promise<number> {
  const [head] = await sql<{ run_key: number; ledger_len: number }>(
    c,
    'UPDATE runs SET ledger_len = ledger_len + $3 WHERE runtime_id = $1 AND run_id = $2 RETURNING run_key, ledger_len',
    [runtimeId, runId, records.length],
  );
  if (head === undefined) throw runNotFound(runId);
  if (records.length === 0) return head.ledger_len;
  // One INSERT for the whole batch: the columns travel as parallel arrays.
  const first = head.ledger_len - records.length + 1;
  await sql(
    c,
    `INSERT INTO ledger_records (run_key, seq, status, idempotency_key, wait_key, record_json)
     SELECT $1, $2 + i - 1, status, key, wait_key, json
     FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS r(status, key, wait_key, json, i)`,
    [
      head.run_key,
      first,
      records.map((r) => r.status),
      records.map((r) => r.idempotency_key ?? null),
      records.map(waitKeyOf),
      records.map((r) => JSON.stringify(r)),
    ],
  );
  return head.ledger_len;
}

function waitKeyOf(r: StepRecord): string | null {
  const key: unknown = r.status === 'waiting' ? r.result?.wait?.wait_key : null;
  return typeof key === 'string' ? key : null;
}

// The queries below reach the run's records through its row, scoped by runtime_id.
const OF_RUN = 'FROM runs JOIN ledger_records l USING (run_key) WHERE runs.runtime_id = $1 AND runs.run_id = $2';

/** The stored JSON text of ledger[after : after+limit]; next_after = after + count (not clamped). */
export async function readLedgerJson(c: Queryable, runtimeId: string, runId: string, after: number, limit: number): Promise<LedgerJsonPage> {
  const rows = await sql<{ record_json: string }>(c, `SELECT l.record_json ${OF_RUN} AND l.seq > $3 ORDER BY l.seq LIMIT $4`, [
    runtimeId,
    runId,
    after,
    limit,
  ]);
  return { json: rows.map((r) => r.record_json), next_after: after + rows.length };
}

export async function findCompletedRecord(c: Queryable, runtimeId: string, runId: string, idempotencyKey: string): Promise<StepRecord | null> {
  const [row] = await sql<{ record_json: string }>(
    c,
    `SELECT l.record_json ${OF_RUN} AND l.idempotency_key = $3 AND l.status = 'completed' ORDER BY l.seq LIMIT 1`,
    [runtimeId, runId, idempotencyKey],
  );
  return row === undefined ? null : (JSON.parse(row.record_json) as StepRecord);
}

export async function findWaitingRecord(c: Queryable, runtimeId: string, runId: string, waitKey: string): Promise<StepRecord | null> {
  const [row] = await sql<{ record_json: string }>(
    c,
    `SELECT l.record_json ${OF_RUN} AND l.wait_key = $3 AND l.status = 'waiting' ORDER BY l.seq DESC LIMIT 1`,
    [runtimeId, runId, waitKey],
  );
  return row === undefined ? null : (JSON.parse(row.record_json) as StepRecord);
}
