// Visual function nodes (spec §4.6.1): entry/exit/trigger nodes, if/switch, and node-library
// logic drawn with exec pins. Their result becomes the pipeline value (`_last_output`).

import type { JsonObject, StepPlan } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import type { StepHandler } from '../nodes/definition.js';
import type { ExecNode } from './graph.js';
import type { StepScope } from './scope.js';
import { flowError, persistOutput, setPrevExecHandle } from './run-vars.js';

export type VisualLogic = (inputs: JsonObject, n: ExecNode, s: StepScope) => any;

/** `{...result, success: true}` unless `success` is already a key (a present null is kept). */
function withDefaultSuccess(result: any): JsonObject {
  if (isPlainObject(result)) return 'success' in result ? { ...result } : { ...result, success: true };
  return { response: result ?? null, success: true };
}

/** Step of a visual function node: run its logic, publish the result, then branch/continue/complete. */
function visualStep(n: ExecNode, s: StepScope, logic: VisualLogic): StepPlan {
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

/** The step of a visual function node with this logic. */
export const visual = (logic: VisualLogic): StepHandler => (n, s) => visualStep(n, s, logic);

/** A node-library logic (normally pure) placed in the exec chain. */
export const libraryStep: StepHandler = (n, s) => visualStep(n, s, (inputs) => s.runLogic(n, inputs));
