// Control-flow nodes (spec §5.2): if/switch branch; the schedulers keep their frames on the
// control stack (§4.7).

import type { JsonObject, StepPlan } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import { pyFloat, pyStr, pyTruthy } from '../py.js';
import { abortFrame, enterFrame, exitFrame, isPlan } from '../engine/control-stack.js';
import type { ExecNode } from '../engine/graph.js';
import { addFlowWarning, flowError, persistOutput, setPrevExecHandle, tempOf } from '../engine/run-vars.js';
import type { StepScope } from '../engine/scope.js';
import { visual } from '../engine/visual.js';
import type { NodeDefinition } from './definition.js';

const MAX_ITERATIONS = 10_000;

function switchLogic(inputs: JsonObject, n: ExecNode): JsonObject {
  const value = inputs.value ?? null;
  const text = value === null ? '' : pyStr(value);
  for (const c of n.data.switchConfig?.cases ?? []) {
    if (!isPlainObject(c) || typeof c.id !== 'string' || !c.id || c.value == null) continue;
    if (text === pyStr(c.value)) return { branch: `case:${c.id}`, value, matched: pyStr(c.value) };
  }
  return { branch: 'default', value };
}

/** Go to the next connected `then:<n>` branch; null when none is left. */
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

function sequenceStep(n: ExecNode, s: StepScope): StepPlan {
  const frame = enterFrame(n, s, () => ({ kind: 'sequence', idx: 0, then: [...n.control.thenHandles] }));
  if (isPlan(frame)) return frame;
  return dispatchThen(n, s, frame) ?? exitFrame(n, s, 'done');
}

function parallelStep(n: ExecNode, s: StepScope): StepPlan {
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

function loopStep(n: ExecNode, s: StepScope): StepPlan {
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

function forStep(n: ExecNode, s: StepScope): StepPlan {
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

function whileStep(n: ExecNode, s: StepScope): StepPlan {
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
function joinExecStep(n: ExecNode, s: StepScope): StepPlan {
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

const LOOP_EXITS = /^(loop|done)$/;

export const CONTROL_NODES: NodeDefinition[] = [
  { type: 'if', kind: 'visual', step: visual((i) => ({ branch: pyTruthy(i.condition) ? 'true' : 'false', condition: i.condition ?? null })) },
  { type: 'switch', kind: 'visual', step: visual(switchLogic) },
  { type: 'sequence', kind: 'sched', step: sequenceStep, exits: /^then:\d+$/ },
  { type: 'parallel', kind: 'sched', step: parallelStep, exits: /^(then:\d+|completed)$/ },
  { type: 'loop', kind: 'sched', step: loopStep, exits: LOOP_EXITS },
  { type: 'for', kind: 'sched', step: forStep, exits: LOOP_EXITS },
  { type: 'while', kind: 'sched', step: whileStep, exits: LOOP_EXITS },
  { type: 'join_exec', kind: 'sched', step: joinExecStep, routes: true },
];
