// Command rows as both backends store them (payload as canonical JSON text).

import type { CommandRecord } from '../model/command.js';

export interface CommandRow {
  seq: number;
  command_id: string;
  run_id: string;
  type: CommandRecord['type'];
  payload_json: string;
  ts: string;
  client_id: string | null;
  state: CommandRecord['state'];
  reason: string | null;
  applied_at: string | null;
}

export const COMMAND_COLUMNS = 'seq, command_id, run_id, type, payload_json, ts, client_id, state, reason, applied_at';

export function toRecord(r: CommandRow): CommandRecord {
  return {
    command_id: r.command_id,
    run_id: r.run_id,
    type: r.type,
    payload: JSON.parse(r.payload_json),
    ts: r.ts,
    client_id: r.client_id,
    seq: r.seq,
    state: r.state,
    reason: r.reason,
    applied_at: r.applied_at,
  };
}
