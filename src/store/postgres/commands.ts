// The durable command inbox on PostgreSQL: idempotent by (runtime_id, command_id), global seq,
// settled once. Two runners applying the same pending command race on settleCommand's
// `state = 'pending'` condition: the row lock makes the second wait, see 'applied', and roll back.

import type { CommandRecord } from '../../model/command.js';
import { canonicalJson } from '../../model/json.js';
import { COMMAND_COLUMNS, toRecord, type CommandRow } from '../command-rows.js';
import type { NewCommand, SubmitResult } from '../types.js';
import { sql, type Queryable } from './backend.js';

export async function submitCommand(c: Queryable, runtimeId: string, cmd: NewCommand): Promise<SubmitResult> {
  const payloadJson = canonicalJson(cmd.payload ?? {});
  // A concurrent submit of the same id waits on the unique index, then does nothing.
  const [inserted] = await sql<{ seq: number }>(
    c,
    `INSERT INTO commands (runtime_id, command_id, run_id, type, payload_json, ts, client_id) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (runtime_id, command_id) DO NOTHING RETURNING seq`,
    [runtimeId, cmd.command_id, cmd.run_id, cmd.type, payloadJson, cmd.ts, cmd.client_id ?? null],
  );
  if (inserted !== undefined) return { accepted: true, duplicate: false, seq: inserted.seq };

  const [prev] = await sql<Pick<CommandRow, 'seq' | 'run_id' | 'type' | 'payload_json'>>(
    c,
    'SELECT seq, run_id, type, payload_json FROM commands WHERE runtime_id = $1 AND command_id = $2',
    [runtimeId, cmd.command_id],
  );
  const same = prev!.run_id === cmd.run_id && prev!.type === cmd.type && prev!.payload_json === payloadJson;
  return same ? { accepted: false, duplicate: true, seq: prev!.seq } : { accepted: false, duplicate: false, conflict: true, seq: prev!.seq };
}

export async function getCommand(c: Queryable, runtimeId: string, commandId: string): Promise<CommandRecord | null> {
  const [row] = await sql<CommandRow>(c, `SELECT ${COMMAND_COLUMNS} FROM commands WHERE runtime_id = $1 AND command_id = $2`, [runtimeId, commandId]);
  return row ? toRecord(row) : null;
}

export async function pendingCommands(c: Queryable, runtimeId: string, limit: number): Promise<CommandRecord[]> {
  const rows = await sql<CommandRow>(c, `SELECT ${COMMAND_COLUMNS} FROM commands WHERE runtime_id = $1 AND state = 'pending' ORDER BY seq LIMIT $2`, [
    runtimeId,
    limit,
  ]);
  return rows.map(toRecord);
}

export async function settleCommand(
  c: Queryable,
  runtimeId: string,
  seq: number,
  state: 'applied' | 'rejected',
  reason: string | null,
  appliedAt: string,
): Promise<void> {
  const rows = await sql(c, `UPDATE commands SET state = $1, reason = $2, applied_at = $3 WHERE runtime_id = $4 AND seq = $5 AND state = 'pending' RETURNING seq`, [
    state,
    reason,
    appliedAt,
    runtimeId,
    seq,
  ]);
  if (rows.length === 0) throw new Error(`Command ${seq} is not pending`);
}
