// The control stack and scheduler frames (spec §4.7). All loop state lives in
// `vars._temp._control = {stack, frames, return_to?}` so runs survive restarts.

import type { JsonObject, StepPlan } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import type { ExecNode } from './graph.js';
import type { StepScope } from './scope.js';
import { ensureObject, flowError, setPrevExecHandle, tempOf } from './run-vars.js';

interface ControlState {
  ctrl: JsonObject;
  stack: string[];
  frames: Record<string, JsonObject>;
}

function controlState(vars: JsonObject): ControlState {
  const ctrl = ensureObject(tempOf(vars), '_control');
  if (!Array.isArray(ctrl.stack)) ctrl.stack = [];
  const frames = ensureObject(ctrl, 'frames');
  return { ctrl, stack: ctrl.stack, frames };
}

/** The innermost active scheduler, if any. */
export function activeControl(vars: JsonObject): string | null {
  const stack = vars._temp?._control?.stack;
  const top = Array.isArray(stack) && stack.length ? stack[stack.length - 1] : null;
  return typeof top === 'string' && top ? top : null;
}

/** Make `nodeId` the active control node (listeners and recurrent schedules). */
export function pushControl(vars: JsonObject, nodeId: string): void {
  const { stack } = controlState(vars);
  if (stack[stack.length - 1] !== nodeId) stack.push(nodeId);
}

function goToActive(vars: JsonObject, nodeId: string, active: string): StepPlan {
  controlState(vars).ctrl.return_to = active;
  return { node_id: nodeId, next_node: active };
}

/**
 * Return rule (spec §4.7): inside an active control block, a plan that would end the run
 * hands control back to the innermost scheduler instead. `endsRun` nodes (`on_flow_end`) always end it.
 */
export function applyReturnRule(n: ExecNode, plan: StepPlan, vars: JsonObject): StepPlan {
  const active = activeControl(vars);
  if (!active || active === n.id || (n.def.kind === 'visual' && n.def.endsRun)) return plan;
  if (plan.complete_output != null) return goToActive(vars, n.id, active);
  if (!plan.next_node) return { ...goToActive(vars, n.id, active), effect: plan.effect ?? null };
  return plan;
}

/**
 * Frame entry: continue the frame after a branch returned here, restart it on explicit
 * re-entry through an edge, else create and push it. `init` builds a fresh frame (or a
 * complete plan for an invalid configuration).
 */
export function enterFrame(n: ExecNode, s: StepScope, init: () => JsonObject | StepPlan): JsonObject | StepPlan {
  const { ctrl, stack, frames } = controlState(s.vars);
  const isReturn = ctrl.return_to === n.id;
  if (isReturn) delete ctrl.return_to;
  const existing = frames[n.id];
  const hasFrame = isPlainObject(existing) && existing.kind === n.type;
  let frame: JsonObject;
  if (hasFrame && isReturn) frame = existing;
  else {
    const fresh = init();
    if (!('kind' in fresh)) return fresh;
    frame = fresh;
    frames[n.id] = frame;
    if (!hasFrame) stack.push(n.id);
  }
  if (stack[stack.length - 1] !== n.id) stack.push(n.id);
  return frame;
}

export const isPlan = (v: JsonObject | StepPlan): v is StepPlan => !('kind' in v);

/** Frame exit: drop the frame, then take `exitHandle` if wired, else return to the parent or complete. */
export function exitFrame(n: ExecNode, s: StepScope, exitHandle: string): StepPlan {
  const { stack, frames } = controlState(s.vars);
  delete frames[n.id];
  const at = stack.lastIndexOf(n.id);
  if (at === stack.length - 1) stack.pop();
  else if (at >= 0) stack.splice(0, stack.length, ...stack.filter((x) => x !== n.id));
  const target = n.control.targets[exitHandle];
  if (target) {
    setPrevExecHandle(s.vars, exitHandle);
    return { node_id: n.id, next_node: target };
  }
  const parent = activeControl(s.vars);
  if (parent) return goToActive(s.vars, n.id, parent);
  return { node_id: n.id, complete_output: { success: true, result: s.vars._last_output ?? null } };
}

/** Graph-level loop error: drop the frame and end the run with the error. */
export function abortFrame(n: ExecNode, s: StepScope, message: string): StepPlan {
  const { stack, frames } = controlState(s.vars);
  delete frames[n.id];
  stack.splice(0, stack.length, ...stack.filter((x) => x !== n.id));
  return { node_id: n.id, complete_output: flowError(s.vars, n.id, message) };
}
