// Variable nodes (spec §4.10, §5.7). Readers are pure: re-evaluated every step, so reads are
// current. Writers (§4.6.2) and `add_message` (§5.5) are pass-through exec nodes that mutate
// vars but never replace the pipeline value (`_last_output`).

import type { JsonObject, StepPlan } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import { getByPath, setByPath } from '../../model/paths.js';
import { isoFromMs } from '../../model/time.js';
import { pyGet, pyStr, pyStrip, pyTruthy, toList } from '../py.js';
import type { ExecNode } from '../engine/graph.js';
import { ensureObject, flowError, persistOutput } from '../engine/run-vars.js';
import type { StepScope } from '../engine/scope.js';
import type { PureLogic } from '../types.js';
import { type NodeDefinition, pureNodes } from './definition.js';

/** The reference's `str(v or "")`: falsy values read as "". */
const strOrBlank = (v: unknown): string => (pyTruthy(v) ? pyStr(v) : '');

const getVar: PureLogic = (inputs, nc) => {
  const name = pyStrip(strOrBlank(pyGet(inputs, 'name')));
  return { value: name ? getByPath(nc.vars, name) : null };
};

type VarType = 'boolean' | 'number' | 'string' | 'object' | 'array' | 'any';

const TYPE_CHECKS: Record<VarType, [(v: unknown) => boolean, () => unknown]> = {
  boolean: [(v) => typeof v === 'boolean', () => false],
  number: [(v) => typeof v === 'number', () => 0],
  string: [(v) => typeof v === 'string', () => ''],
  object: [isPlainObject, () => ({})],
  array: [Array.isArray, () => []],
  any: [() => true, () => null],
};

/** Typed declaration: the var if it matches the type, else the default if it does, else the zero value. */
const varDecl: PureLogic = (_inputs, nc) => {
  const cfg = nc.node.data.literalValue;
  const name = isPlainObject(cfg) && typeof cfg.name === 'string' ? pyStrip(cfg.name) : '';
  const rawType = isPlainObject(cfg) && typeof cfg.type === 'string' ? pyStrip(cfg.type) : '';
  const type: VarType = Object.hasOwn(TYPE_CHECKS, rawType) ? (rawType as VarType) : 'any';
  const dflt = isPlainObject(cfg) ? pyGet(cfg, 'default') : null;
  const [matches, zero] = TYPE_CHECKS[type];
  if (name) {
    const current = getByPath(nc.vars, name);
    if (matches(current)) return { name, value: current };
  }
  return { name, value: matches(dflt) ? dflt : zero() };
};

/** `literalValue` is the variable name, or `{name, default}`. */
const boolVar: PureLogic = (_inputs, nc) => {
  const cfg = nc.node.data.literalValue;
  let name = '';
  let dflt = false;
  if (typeof cfg === 'string') name = pyStrip(cfg);
  else if (isPlainObject(cfg)) {
    if (typeof cfg.name === 'string') name = pyStrip(cfg.name);
    if (typeof cfg.default === 'boolean') dflt = cfg.default;
  }
  const current = name ? getByPath(nc.vars, name) : null;
  return { name, value: typeof current === 'boolean' ? current : dflt };
};

const getContext: PureLogic = (_inputs, nc) => {
  const ctx = nc.vars.context;
  const context = isPlainObject(ctx) ? ctx : {};
  const task = pyGet(context, 'task');
  const msgs = pyGet(context, 'messages');
  return {
    context,
    task: typeof task === 'string' ? task : strOrBlank(task),
    messages: toList(msgs),
  };
};

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

function setVarStep(n: ExecNode, s: StepScope): StepPlan {
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

function setVarsStep(n: ExecNode, s: StepScope): StepPlan {
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

function setVarPropertyStep(n: ExecNode, s: StepScope): StepPlan {
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
function randomHex(s: StepScope): string {
  let out = '';
  while (out.length < 32) out += Math.floor(s.ctx.random() * 0x10000).toString(16).padStart(4, '0');
  return out;
}

function addMessageStep(n: ExecNode, s: StepScope): StepPlan {
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

export const VARIABLE_NODES: NodeDefinition[] = [
  ...pureNodes({ get_var: getVar, var_decl: varDecl, bool_var: boolVar, get_context: getContext }),
  { type: 'set_var', kind: 'var', step: setVarStep },
  { type: 'set_vars', kind: 'var', step: setVarsStep },
  { type: 'set_var_property', kind: 'var', step: setVarPropertyStep },
  { type: 'add_message', kind: 'var', step: addMessageStep },
];
