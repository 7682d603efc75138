// The durable command inbox shapes (spec core-api §5). Field names are wire contracts.

import type { JsonObject } from './run.js';

export type CommandType = 'pause' | 'resume' | 'cancel' | 'emit_event' | 'update_schedule' | 'compact_memory';
export const COMMAND_TYPES: readonly CommandType[] = ['pause', 'resume', 'cancel', 'emit_event', 'update_schedule', 'compact_memory'];

export type CommandState = 'pending' | 'applied' | 'rejected';

/** A durable inbox command plus its recorded outcome. */
export interface CommandRecord {
  command_id: string;
  run_id: string;
  type: CommandType;
  payload: JsonObject;
  ts: string;
  client_id: string | null;
  seq: number;
  state: CommandState;
  /** Why a command was rejected (null while pending or when applied). */
  reason: string | null;
  applied_at: string | null;
}
