// Visual function nodes (spec §4.6.1): entry/exit/trigger nodes, if/switch, and node-library
// logic drawn with exec pins. Their result becomes the pipeline value (`_last_output`).

import type { JsonObject, StepPlan } from '../../model/run.js';
import { cloneJson, isPlainObject } from '../../model/json.js';
import { pyStr, pyTruthy } from '../py.js';
import type { ExecNode } from './graph.js';
import type { StepScope } from './scope.js';
import { flowError, persistOutput, setPrevExecHandle, withDefaultSuccess } from './vars.js';

type Logic = (inputs: JsonObject, n: ExecNode, s: StepScope) => any;

function onFlowStart(inputs: JsonObject, n: ExecNode): JsonObject {
  const params = n.outputPins;
  if (params.length) return Object.fromEntries(params.map((p) => [p, p in inputs ? inputs[p] : null]));
  // No declared parameters (gateway wrapper flows): every public input key.
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(inputs)) if (!k.startsWith('_')) out[k] = v;
  for (const [k, dv] of Object.entries(n.pinDefaults)) if (!k.startsWith('_') && !(k in out)) out[k] = cloneJson(dv);
  return out;
}

function onFlowEnd(inputs: JsonObject, n: ExecNode): JsonObject {
  if (!n.inputPins.length) return inputs;
  return Object.fromEntries(n.inputPins.map((p) => [p, inputs[p] ?? null]));
}

function switchLogic(inputs: JsonObject, n: ExecNode): JsonObject {
  const value = inputs.value ?? null;
  const text = value === null ? '' : pyStr(value);
  for (const c of n.data.switchConfig?.cases ?? []) {
    if (!isPlainObject(c) || typeof c.id !== 'string' || !c.id || c.value == null) continue;
    if (text === pyStr(c.value)) return { branch: `case:${c.id}`, value, matched: pyStr(c.value) };
  }
  return { branch: 'default', value };
}

export const VISUAL_LOGIC: Record<string, Logic> = {
  on_flow_start: onFlowStart,
  on_flow_end: onFlowEnd,
  on_user_request: (i) => ({ message: i.message ?? '', context: i.context ?? {} }),
  on_agent_message: (i, n) => ({ sender: i.sender ?? 'unknown', message: i.message ?? '', channel: n.data.eventConfig?.channel ?? '' }),
  if: (i) => ({ branch: pyTruthy(i.condition) ? 'true' : 'false', condition: i.condition ?? null }),
  switch: switchLogic,
};

/** Step of a visual function node: run its logic, publish the result, then branch/continue/complete. */
export function visualStep(n: ExecNode, s: StepScope, logic: Logic): StepPlan {
  const result = logic(s.resolveInputs(n, 'visual'), n, s);
  s.vars._last_output = result;
  persistOutput(s.vars, n.id, result);
  const { branches, next } = n.control;
  if (branches) {
    const branch = isPlainObject(result) ? result.branch : undefined;
    if (typeof branch !== 'string' || !branch) {
      return { node_id: n.id, complete_output: flowError(s.vars, n.id, "Branching node did not return a string 'branch' value") };
    }
    const target = branches[branch];
    // Blueprint semantics: an unconnected branch ends cleanly.
    if (!target) return { node_id: n.id, complete_output: withDefaultSuccess(result) };
    setPrevExecHandle(s.vars, branch);
    return { node_id: n.id, next_node: target };
  }
  if (next) {
    setPrevExecHandle(s.vars, 'exec-out');
    return { node_id: n.id, next_node: next };
  }
  return { node_id: n.id, complete_output: withDefaultSuccess(result) };
}

/** A node-library logic (normally pure) placed in the exec chain. */
export const libraryStep = (n: ExecNode, s: StepScope): StepPlan => visualStep(n, s, (inputs) => s.runLogic(n, inputs));
