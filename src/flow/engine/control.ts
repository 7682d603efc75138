// Scheduler nodes and the control stack (spec §4.7). All loop state lives in
// `vars._temp._control = {stack, frames, return_to?}` so runs survive restarts.

import type { JsonObject, StepPlan } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import { pyFloat, pyTruthy } from '../py.js';
import type { ExecNode } from './graph.js';
import type { StepScope } from './scope.js';
import { addFlowWarning, ensureObject, flowError, persistOutput, setPrevExecHandle, tempOf } from './vars.js';

const MAX_ITERATIONS = 10_000;

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
 * hands control back to the innermost scheduler instead. `on_flow_end` always ends the run.
 */
export function applyReturnRule(n: ExecNode, plan: StepPlan, vars: JsonObject): StepPlan {
  const active = activeControl(vars);
  if (!active || active === n.id || n.type === 'on_flow_end') return plan;
  if (plan.complete_output != null) return goToActive(vars, n.id, active);
  if (!plan.next_node) return { ...goToActive(vars, n.id, active), effect: plan.effect ?? null };
  return plan;
}

/**
 * Frame entry: continue the frame after a branch returned here, restart it on explicit
 * re-entry through an edge, else create and push it. `init` builds a fresh frame (or a
 * complete plan for an invalid configuration).
 */
function enterFrame(n: ExecNode, s: StepScope, init: () => JsonObject | StepPlan): JsonObject | StepPlan {
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

const isPlan = (v: JsonObject | StepPlan): v is StepPlan => !('kind' in v);

/** Frame exit: drop the frame, then take `exitHandle` if wired, else return to the parent or complete. */
function exitFrame(n: ExecNode, s: StepScope, exitHandle: string): StepPlan {
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
function abortFrame(n: ExecNode, s: StepScope, message: string): StepPlan {
  const { stack, frames } = controlState(s.vars);
  delete frames[n.id];
  stack.splice(0, stack.length, ...stack.filter((x) => x !== n.id));
  return { node_id: n.id, complete_output: flowError(s.vars, n.id, message) };
}

/** Go to the next connected `then:<n>` branch; false when none is left. */
function dispatchThen(n: ExecNode, s: StepScope, frame: JsonObject): StepPlan | null {
  const handles: string[] = Array.isArray(frame.then) ? frame.then : n.control.thenHandles;
  let idx = Number(frame.idx) || 0;
  while (idx < handles.length) {
    const handle = handles[idx++];
    const target = n.control.targets[handle];
    if (target) {
      frame.idx = idx;
      setPrevExecHandle(s.vars, handle);
      return { node_id: n.id, next_node: target };
    }
  }
  return null;
}

export function sequenceStep(n: ExecNode, s: StepScope): StepPlan {
  const frame = enterFrame(n, s, () => ({ kind: 'sequence', idx: 0, then: [...n.control.thenHandles] }));
  if (isPlan(frame)) return frame;
  return dispatchThen(n, s, frame) ?? exitFrame(n, s, 'done');
}

export function parallelStep(n: ExecNode, s: StepScope): StepPlan {
  // Branches run one after another (single cursor); `completed` fires after the last one.
  const frame = enterFrame(n, s, () => ({ kind: 'parallel', phase: 'branches', idx: 0, then: [...n.control.thenHandles] }));
  if (isPlan(frame)) return frame;
  if (frame.phase !== 'completed') {
    const plan = dispatchThen(n, s, frame);
    if (plan) return plan;
    frame.phase = 'completed';
  }
  return exitFrame(n, s, 'completed');
}

/** Loop output: the pipeline value (object copy or `{input}`) plus iteration keys; becomes `_last_output`. */
function publishIteration(n: ExecNode, s: StepScope, extra: (base: any) => JsonObject): StepPlan {
  const base = s.vars._last_output;
  const out = { ...(isPlainObject(base) ? base : { input: base ?? null }), ...extra(base) };
  s.vars._last_output = out;
  persistOutput(s.vars, n.id, out);
  setPrevExecHandle(s.vars, 'loop');
  return { node_id: n.id, next_node: n.control.targets.loop };
}

export function loopStep(n: ExecNode, s: StepScope): StepPlan {
  const frame = enterFrame(n, s, () => {
    const raw = s.resolveInputs(n).items;
    return { kind: 'loop', idx: 0, items: raw == null ? [] : Array.isArray(raw) ? raw : [raw] };
  });
  if (isPlan(frame)) return frame;
  const idx = Number(frame.idx) || 0;
  const items: any[] = frame.items;
  if (!n.control.targets.loop || idx >= items.length) return exitFrame(n, s, 'done');
  frame.idx = idx + 1;
  return publishIteration(n, s, () => ({ item: items[idx], index: idx, total: items.length }));
}

function toNumber(v: any): number | null {
  if (v == null || (typeof v === 'string' && !v.trim())) return null;
  try {
    return pyFloat(v);
  } catch {
    return null;
  }
}

function forFrame(n: ExecNode, s: StepScope): JsonObject | StepPlan {
  const inputs = s.resolveInputs(n);
  const start = toNumber(inputs.start);
  const end = toNumber(inputs.end);
  const step = toNumber(inputs.step) ?? 1;
  if (start === null || end === null) return { node_id: n.id, complete_output: flowError(s.vars, n.id, "For loop requires numeric 'start' and 'end'.") };
  if (step === 0) return { node_id: n.id, complete_output: flowError(s.vars, n.id, "For loop requires a non-zero 'step'.") };
  const span = step > 0 ? end - start : start - end;
  const total = span > 0 ? Math.ceil(span / Math.abs(step)) : 0;
  return { kind: 'for', start, end, step, i: start, index: 0, total };
}

export function forStep(n: ExecNode, s: StepScope): StepPlan {
  const frame = enterFrame(n, s, () => forFrame(n, s));
  if (isPlan(frame)) return frame;
  if (!n.control.targets.loop) return exitFrame(n, s, 'done');
  const index = Number(frame.index) || 0;
  if (index >= MAX_ITERATIONS) return abortFrame(n, s, `For loop exceeded max_iterations=${MAX_ITERATIONS}`);
  const { i, end, step } = frame as { i: number; end: number; step: number };
  if (step > 0 ? i >= end : i <= end) return exitFrame(n, s, 'done');
  frame.i = i + step;
  frame.index = index + 1;
  return publishIteration(n, s, () => ({ i, index, total: frame.total }));
}

export function whileStep(n: ExecNode, s: StepScope): StepPlan {
  const frame = enterFrame(n, s, () => ({ kind: 'while', iters: 0 }));
  if (isPlan(frame)) return frame;
  const iters = Number(frame.iters) || 0;
  if (iters >= MAX_ITERATIONS) return abortFrame(n, s, `While loop exceeded max_iterations=${MAX_ITERATIONS}`);
  // Re-resolved on every entry: pure nodes are evaluated fresh each step.
  if (!pyTruthy(s.resolveInputs(n).condition) || !n.control.targets.loop) return exitFrame(n, s, 'done');
  frame.iters = iters + 1;
  return publishIteration(n, s, (base) => (isPlainObject(base) && 'item' in base ? { index: iters } : { item: base ?? null, index: iters }));
}

/** Which incoming route led here, from the previous transition (spec §4.7 `join_exec`). */
export function joinExecStep(n: ExecNode, s: StepScope): StepPlan {
  const temp = tempOf(s.vars);
  const prev = typeof temp.prev_node_id === 'string' ? temp.prev_node_id.trim() : '';
  const handle = typeof temp.prev_exec_handle === 'string' ? temp.prev_exec_handle.trim() : '';
  const { routes } = n.control;
  let which = 0;
  let from: string | null = null;
  if (prev) {
    const exact = handle ? routes.findIndex((r) => r.source === prev && r.handle === handle) : -1;
    const bySource = routes.flatMap((r, i) => (r.source === prev ? [i] : []));
    if (exact >= 0) which = exact;
    else if (bySource.length) {
      which = bySource[0];
      if (bySource.length > 1) addFlowWarning(s.vars, `#FALLBACK join_exec '${n.id}': multiple incoming routes from '${prev}' but prev_exec_handle was missing; defaulting which=${which}.`);
    }
    if (exact >= 0 || bySource.length) from = prev;
  } else if (routes.length) {
    addFlowWarning(s.vars, `#FALLBACK join_exec '${n.id}': prev_node_id missing; defaulting which=0.`);
  }
  const out: JsonObject = { which, from };
  if (handle) out.from_handle = handle;
  persistOutput(s.vars, n.id, out);
  if (!n.control.next) return { node_id: n.id, complete_output: { success: true, result: out } };
  setPrevExecHandle(s.vars, 'exec-out');
  return { node_id: n.id, next_node: n.control.next };
}
