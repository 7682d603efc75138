// Variable writers (spec §4.6.2) and `add_message` (§5.5): pass-through exec nodes that
// mutate vars but never replace the pipeline value (`_last_output`).

import type { JsonObject, StepPlan } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import { isoFromMs } from '../../model/time.js';
import { pyStr } from '../py.js';
import { getByPath, setByPath } from '../../model/paths.js';
import type { ExecNode } from './graph.js';
import type { StepScope } from './scope.js';
import { ensureObject, flowError, persistOutput } from './vars.js';

const PIN_TYPE_DEFAULTS: Record<string, any> = { boolean: false, number: 0, string: '' };

/** Null when the name is valid, else the graph-level error message. */
function invalidName(name: string, emptyMessage: string): string | null {
  if (!name) return emptyMessage;
  if (name.startsWith('_')) return `Invalid variable name '${name}': names starting with '_' are reserved.`;
  return null;
}

const nameOf = (v: any): string => (typeof v === 'string' ? v : v == null ? '' : pyStr(v)).trim();

/** Continue to `next`, or end the run with the untouched pipeline value. */
function passThrough(n: ExecNode, s: StepScope, extra: JsonObject = {}): StepPlan {
  if (n.control.next) return { node_id: n.id, next_node: n.control.next };
  return { node_id: n.id, complete_output: { success: true, ...extra, result: s.vars._last_output ?? null } };
}

const fail = (n: ExecNode, s: StepScope, message: string): StepPlan => ({ node_id: n.id, complete_output: flowError(s.vars, n.id, message) });

export function setVarStep(n: ExecNode, s: StepScope): StepPlan {
  const inputs = s.resolveInputs(n);
  const name = nameOf(inputs.name);
  const bad = invalidName(name, 'Set Variable requires a non-empty variable name.');
  if (bad) return fail(n, s, bad);
  const value = 'value' in inputs ? inputs.value : PIN_TYPE_DEFAULTS[n.inputPinTypes.value] ?? null;
  setByPath(s.vars, name, value);
  persistOutput(s.vars, n.id, { value });
  return passThrough(n, s);
}

function parseUpdates(raw: any): JsonObject {
  if (isPlainObject(raw)) return raw;
  if (typeof raw !== 'string' || !raw.trim()) return {};
  try {
    const parsed = JSON.parse(raw);
    return isPlainObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

export function setVarsStep(n: ExecNode, s: StepScope): StepPlan {
  const updates = parseUpdates(s.resolveInputs(n).updates);
  const normalized: JsonObject = {};
  // Validate every key before applying any.
  for (const [key, value] of Object.entries(updates)) {
    const bad = invalidName(key.trim(), 'Set Variables requires non-empty variable names in updates.');
    if (bad) return fail(n, s, bad);
    normalized[key.trim()] = value;
  }
  for (const [name, value] of Object.entries(normalized)) setByPath(s.vars, name, value);
  persistOutput(s.vars, n.id, { updates: normalized });
  return passThrough(n, s, { updates: normalized });
}

export function setVarPropertyStep(n: ExecNode, s: StepScope): StepPlan {
  const inputs = s.resolveInputs(n);
  const name = nameOf(inputs.name);
  const bad = invalidName(name, 'Set Variable Property requires a non-empty variable name.');
  if (bad) return fail(n, s, bad);
  const key = nameOf(inputs.key);
  if (!key) return fail(n, s, 'Set Variable Property requires a non-empty key.');
  const current = getByPath(s.vars, name);
  const updated: JsonObject = isPlainObject(current) ? { ...current } : {};
  setByPath(updated, key, inputs.value ?? null);
  setByPath(s.vars, name, updated);
  persistOutput(s.vars, n.id, { value: updated });
  return passThrough(n, s);
}

/** 32 hex chars from the injected random source (deterministic under test). */
export function randomHex(s: StepScope): string {
  let out = '';
  while (out.length < 32) out += Math.floor(s.ctx.random() * 0x10000).toString(16).padStart(4, '0');
  return out;
}

export function addMessageStep(n: ExecNode, s: StepScope): StepPlan {
  const inputs = s.resolveInputs(n);
  const message = isPlainObject(inputs.message)
    ? inputs.message
    : {
        role: typeof inputs.role === 'string' ? inputs.role : pyStr(inputs.role ?? 'user'),
        content: typeof inputs.content === 'string' ? inputs.content : inputs.content == null ? '' : pyStr(inputs.content),
        timestamp: isoFromMs(s.ctx.nowMs()),
        metadata: { message_id: `msg_${randomHex(s)}` },
      };
  const context = ensureObject(s.vars, 'context');
  const messages = Array.isArray(context.messages) ? context.messages : (context.messages = []);
  messages.push(message);
  const task = typeof context.task === 'string' ? context.task : context.task == null ? '' : pyStr(context.task);
  persistOutput(s.vars, n.id, { message, context, task, messages: [...messages] });
  if (n.control.next) return { node_id: n.id, next_node: n.control.next };
  return { node_id: n.id, complete_output: { success: true, message } };
}
