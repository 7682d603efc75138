// The durable command inbox: idempotent by (runtime_id, command_id), global seq, settled once.

import type { CommandRecord } from '../../model/command.js';
import { canonicalJson } from '../../model/json.js';
import { COMMAND_COLUMNS, toRecord, type CommandRow } from '../command-rows.js';
import type { NewCommand, SubmitResult } from '../types.js';
import type { Conn } from './connection.js';

export function submitCommand(c: Conn, runtimeId: string, cmd: NewCommand): SubmitResult {
  const payloadJson = canonicalJson(cmd.payload ?? {});
  const seq = c
    .stmt(
      `INSERT INTO commands (runtime_id, command_id, run_id, type, payload_json, ts, client_id) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (runtime_id, command_id) DO NOTHING RETURNING seq`,
    )
    .pluck()
    .get(runtimeId, cmd.command_id, cmd.run_id, cmd.type, payloadJson, cmd.ts, cmd.client_id ?? null) as number | undefined;
  if (seq !== undefined) return { accepted: true, duplicate: false, seq };

  const prev = c
    .stmt('SELECT seq, run_id, type, payload_json FROM commands WHERE runtime_id = ? AND command_id = ?')
    .get(runtimeId, cmd.command_id) as Pick<CommandRow, 'seq' | 'run_id' | 'type' | 'payload_json'>;
  const same = prev.run_id === cmd.run_id && prev.type === cmd.type && prev.payload_json === payloadJson;
  return same ? { accepted: false, duplicate: true, seq: prev.seq } : { accepted: false, duplicate: false, conflict: true, seq: prev.seq };
}

export function getCommand(c: Conn, runtimeId: string, commandId: string): CommandRecord | null {
  const row = c.stmt(`SELECT ${COMMAND_COLUMNS} FROM commands WHERE runtime_id = ? AND command_id = ?`).get(runtimeId, commandId) as
    | CommandRow
    | undefined;
  return row ? toRecord(row) : null;
}

export function pendingCommands(c: Conn, runtimeId: string, limit: number): CommandRecord[] {
  const rows = c
    .stmt(`SELECT ${COMMAND_COLUMNS} FROM commands WHERE runtime_id = ? AND state = 'pending' ORDER BY seq LIMIT ? + 0`)
    .all(runtimeId, limit) as CommandRow[];
  return rows.map(toRecord);
}

export function settleCommand(
  c: Conn,
  runtimeId: string,
  seq: number,
  state: 'applied' | 'rejected',
  reason: string | null,
  appliedAt: string,
): void {
  const res = c
    .stmt(`UPDATE commands SET state = ?, reason = ?, applied_at = ? WHERE runtime_id = ? AND seq = ? AND state = 'pending'`)
    .run(state, reason, appliedAt, runtimeId, seq);
  if (res.changes === 0) throw new Error(`Command ${seq} is not pending`);
}
