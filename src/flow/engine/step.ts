// One step of a compiled flow: run the handler of `run.current_node`, turn exceptions of
// non-effect nodes into graph-level errors, then apply the return-to-active-control rule.

import type { RunState, StepPlan } from '../../model/run.js';
import type { StepContext } from '../types.js';
import { applyReturnRule } from './control.js';
import type { FlowGraph } from './graph.js';
import { EXEC_HANDLERS, isEffectType } from './handlers.js';
import { libraryStep } from './visual.js';
import { StepScope } from './scope.js';
import { flowError, persistOutput } from './vars.js';

export function stepFlow(g: FlowGraph, run: RunState, ctx: StepContext): StepPlan {
  const n = g.exec.get(run.current_node);
  if (!n) throw new Error(`Node '${run.current_node}' is not an executable node of workflow '${g.workflowId}'`);
  const handler = EXEC_HANDLERS[n.type] ?? libraryStep;
  let plan: StepPlan;
  try {
    plan = handler(n, new StepScope(g, run, ctx));
  } catch (e) {
    // Building an effect failed: the host fails the run (spec §4.11).
    if (isEffectType(n.type)) throw e;
    const error = flowError(run.vars, n.id, e instanceof Error ? e.message : String(e));
    persistOutput(run.vars, n.id, error);
    plan = { node_id: n.id, complete_output: { error: error.error, success: false, node: n.id } };
  }
  return applyReturnRule(n, plan, run.vars);
}
