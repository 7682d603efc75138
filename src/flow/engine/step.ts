// One step of a compiled flow: run the handler of `run.current_node`, turn exceptions of
// non-effect nodes into graph-level errors, then apply the return-to-active-control rule.

import type { RunState, StepPlan } from '../../model/run.js';
import type { StepContext } from '../types.js';
import { isEffectNode } from '../nodes/definition.js';
import { applyReturnRule } from './control-stack.js';
import type { FlowGraph } from './graph.js';
import { flowError, persistOutput } from './run-vars.js';
import { StepScope } from './scope.js';
import { libraryStep } from './visual.js';

export function stepFlow(g: FlowGraph, run: RunState, ctx: StepContext): StepPlan {
  const n = g.exec.get(run.current_node);
  if (!n) throw new Error(`Node '${run.current_node}' is not an executable node of workflow '${g.workflowId}'`);
  // Node-library (pure) types drawn with exec pins have no step of their own.
  const handler = 'step' in n.def ? n.def.step : libraryStep;
  let plan: StepPlan;
  try {
    plan = handler(n, new StepScope(g, run, ctx));
  } catch (e) {
    // Building an effect failed: the host fails the run (spec §4.11).
    if (isEffectNode(n.def)) throw e;
    const error = flowError(run.vars, n.id, e instanceof Error ? e.message : String(e));
    persistOutput(run.vars, n.id, error);
    plan = { node_id: n.id, complete_output: { error: error.error, success: false, node: n.id } };
  }
  return applyReturnRule(n, plan, run.vars);
}
