// The command inbox as clients use it (spec core-api §5): a durable, idempotent append that
// answers at once (the runner applies the command later), and the recorded outcome of a
// command (an extension: the reference only logs failures). Validation lives in the runtime.

import { conflict, GatewayError, invalid, notFound } from '../errors.js';
import type { CommandRecord } from '../model/command.js';
import type { CommandInput } from '../runtime/runtime.js';
import type { DataPlane } from './plane.js';
import { storageFault } from '../store/faults.js';

export interface SubmitAnswer {
  accepted: boolean;
  duplicate: boolean;
  seq: number;
}

export async function submitCommand(plane: DataPlane, c: CommandInput): Promise<SubmitAnswer> {
  let res;
  try {
    res = await plane.runtime.submitCommand(c);
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw storageFault(err) ?? invalid(`Failed to append command: ${(err as Error).message}`);
  }
  if ('conflict' in res) {
    throw conflict(`Command '${c.command_id?.trim()}' was already submitted with a different run_id, type or payload (seq ${res.seq})`);
  }
  return { accepted: res.accepted, duplicate: res.duplicate, seq: res.seq };
}

export async function getCommand(plane: DataPlane, commandId: string): Promise<CommandRecord> {
  const c = await plane.runtime.getCommand(commandId);
  if (!c) throw notFound(`Command '${commandId}' not found`);
  return c;
}
