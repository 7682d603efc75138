// One tool_calls batch, call by call (spec runtime-visualflow §3.5.3 steps 2, 3 and 6): which
// calls are blocked before anything runs (not allowlisted, malformed, outside the workspace),
// and how results — executed here or brought by a client — fill the original order.

import { isHostTool, scopeArguments, type ToolArgs, type WorkspaceScope } from '../../tools/index.js';
import type { JsonObject } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';

export interface ToolResult {
  call_id: string | null;
  runtime_call_id: string | null;
  name: string;
  success: boolean;
  output: unknown;
  error: string | null;
}

/** One call of the batch; `result` is set when it was blocked (or once it ran). */
export interface Slot {
  index: number;
  call_id: string | null;
  runtime_call_id: string | null;
  name: string;
  args: ToolArgs;
  result?: ToolResult;
}

const idOf = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

function parseArguments(raw: unknown): ToolArgs {
  if (isPlainObject(raw)) return { ...raw };
  if (typeof raw === 'string' && raw.trim()) {
    try {
      const parsed = JSON.parse(raw);
      return isPlainObject(parsed) ? parsed : {};
    } catch {
      return {};
    }
  }
  return {};
}

export function resultFor(s: Pick<Slot, 'call_id' | 'runtime_call_id' | 'name'>, success: boolean, output: unknown, error: string | null): ToolResult {
  return { call_id: s.call_id, runtime_call_id: s.runtime_call_id, name: s.name, success, output, error };
}

/** The batch's calls in order, with the blocked ones already answered. */
export async function classifyCalls(payload: JsonObject, ws: WorkspaceScope): Promise<Slot[]> {
  const calls: unknown[] = Array.isArray(payload.tool_calls) ? payload.tool_calls : [];
  const allowed = Array.isArray(payload.allowed_tools) ? new Set(payload.allowed_tools.filter((t: unknown) => typeof t === 'string').map((t: string) => t.trim())) : null;
  const slots: Slot[] = [];
  for (const [index, c] of calls.entries()) {
    if (!isPlainObject(c)) {
      const s: Slot = { index, call_id: null, runtime_call_id: null, name: '', args: {} };
      slots.push({ ...s, result: resultFor(s, false, null, 'Invalid tool call (expected an object)') });
      continue;
    }
    const s: Slot = { index, call_id: idOf(c.call_id), runtime_call_id: idOf(c.runtime_call_id), name: typeof c.name === 'string' ? c.name.trim() : '', args: parseArguments(c.arguments) };
    if (allowed && (!s.name || !allowed.has(s.name))) {
      // The arguments of a refused call are not carried into waits or results.
      slots.push({ ...s, args: {}, result: resultFor(s, false, null, `Tool '${s.name}' is not allowed for this node`) });
      continue;
    }
    if (!s.name) {
      slots.push({ ...s, result: resultFor(s, false, null, 'Invalid tool call (missing name)') });
      continue;
    }
    if (isHostTool(s.name)) {
      const scoped = await scopeArguments(s.name, s.args, ws);
      if ('error' in scoped) {
        slots.push({ ...s, result: resultFor(s, false, null, scoped.error) });
        continue;
      }
      s.args = scoped.args;
    }
    slots.push(s);
  }
  return slots;
}

export const pendingOf = (slots: Slot[]): Slot[] => slots.filter((s) => !s.result);

export const executedEnvelope = (slots: Slot[]): JsonObject => ({ mode: 'executed', results: slots.map((s) => s.result!) });

/** The calls a wait shows (to a person approving, or an outside executor). */
export function waitingCalls(slots: Slot[]): JsonObject[] {
  return pendingOf(slots).map((s) => ({ call_id: s.call_id, runtime_call_id: s.runtime_call_id, name: s.name, arguments: s.args }));
}

/** Where blocked calls sit in the original batch (spec §1.5 "blocked-call merge"). */
export function blockedDetails(slots: Slot[]): JsonObject {
  const blocked = slots.filter((s) => s.result);
  if (blocked.length === 0) return {};
  return { original_call_count: slots.length, blocked_by_index: Object.fromEntries(blocked.map((s) => [String(s.index), s.result])) };
}

export const isResultsEnvelope = (v: unknown): v is { mode: 'executed'; results: unknown[] } =>
  isPlainObject(v) && v.mode === 'executed' && Array.isArray(v.results);

/**
 * Results a client executed itself: taken as they are when they cover the whole batch, else
 * placed positionally into the calls that were waiting, gaps filled with "Missing tool result".
 */
export function mergeClientResults(envelope: { results: unknown[] }, slots: Slot[]): JsonObject {
  if (envelope.results.length === slots.length) return envelope;
  let j = 0;
  for (const s of pendingOf(slots)) {
    const r = envelope.results[j++];
    s.result = isPlainObject(r) ? (r as ToolResult) : resultFor(s, false, null, 'Missing tool result');
  }
  return executedEnvelope(slots);
}
