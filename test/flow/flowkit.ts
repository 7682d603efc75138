// Tiny builders for hand-written VisualFlow documents and a driver that steps a compiled flow
// the way the runtime does (pure transitions, effects answered by a callback).

import type { Effect, JsonObject, RunState, StepPlan } from '../../src/model/run.js';
import type { CompiledWorkflow, Pin, VisualEdge, VisualFlow, VisualNode } from '../../src/flow/types.js';
import { setByPath } from '../../src/model/paths.js';

/** "id" or "id:type" → Pin. */
const pin = (spec: string): Pin => {
  const [id, type = 'any'] = spec.split(':');
  return { id, type };
};
const execPins = (ids: string[]): Pin[] => ids.map((id) => ({ id, type: 'execution' }));

export interface NodeOpts {
  inputs?: string[];
  outputs?: string[];
  /** Exec output handles (default ['exec-out']); entry nodes have no exec-in. */
  execOuts?: string[];
  entry?: boolean;
  [data: string]: any;
}

export function exec(id: string, type: string, opts: NodeOpts = {}): VisualNode {
  const { inputs = [], outputs = [], execOuts = ['exec-out'], entry = false, ...data } = opts;
  return {
    id,
    type,
    data: { nodeType: type, inputs: [...execPins(entry ? [] : ['exec-in']), ...inputs.map(pin)], outputs: [...execPins(execOuts), ...outputs.map(pin)], ...data },
  };
}

export function pure(id: string, type: string, opts: NodeOpts = {}): VisualNode {
  const { inputs = [], outputs = ['result'], ...data } = opts;
  return { id, type, data: { nodeType: type, inputs: inputs.map(pin), outputs: outputs.map(pin), ...data } };
}

export const data = (source: string, sourceHandle: string, target: string, targetHandle: string): VisualEdge => ({ source, sourceHandle, target, targetHandle });
export const wire = (source: string, target: string, handle = 'exec-out'): VisualEdge => data(source, handle, target, 'exec-in');
export const flowOf = (nodes: VisualNode[], edges: VisualEdge[], extra: Partial<VisualFlow> = {}): VisualFlow => ({ id: 'f1', nodes, edges, ...extra });

/** `start → ask_user(prompt) → end`, flow id `ask`: the smallest run that waits for a person. */
export const askFlow = (prompt = 'Name?'): VisualFlow =>
  flowOf(
    [
      exec('start', 'on_flow_start', { entry: true, outputs: [] }),
      exec('ask', 'ask_user', { inputs: ['prompt'], outputs: ['response'], pinDefaults: { prompt } }),
      exec('end', 'on_flow_end', { inputs: [], execOuts: [] }),
    ],
    [wire('start', 'ask'), wire('ask', 'end')],
    { id: 'ask' },
  );

export const CTX = { nowMs: () => Date.UTC(2026, 0, 2, 3, 4, 5), random: () => 0.25 };

export function newRun(wf: CompiledWorkflow, vars: JsonObject = {}): RunState {
  return {
    run_id: 'run-1',
    workflow_id: wf.workflow_id,
    status: 'running',
    current_node: wf.entry_node,
    vars,
    waiting: null,
    output: null,
    error: null,
    created_at: '',
    updated_at: '',
    actor_id: null,
    session_id: 'sess-1',
    parent_run_id: null,
  };
}

export interface Driven {
  run: RunState;
  output: JsonObject | null;
  /** The plan that stopped the drive (an effect without a handler, or completion). */
  last: StepPlan;
  effects: Effect[];
}

/** Step until completion; effects are answered by `answer` (or stop the drive when it returns undefined). */
export function drive(wf: CompiledWorkflow, vars: JsonObject = {}, answer?: (e: Effect, plan: StepPlan) => any, maxSteps = 500): Driven {
  const run = newRun(wf, vars);
  const effects: Effect[] = [];
  for (let i = 0; i < maxSteps; i++) {
    const plan = wf.step(run, CTX);
    if (plan.complete_output != null) return { run, output: plan.complete_output, last: plan, effects };
    if (plan.effect) {
      effects.push(plan.effect);
      const result = answer?.(plan.effect, plan);
      if (result === undefined) return { run, output: null, last: plan, effects };
      if (plan.effect.result_key) setByPath(run.vars, plan.effect.result_key, result);
      if (!plan.next_node) return { run, output: { success: true, result }, last: plan, effects };
    }
    run.vars._temp = run.vars._temp ?? {};
    run.vars._temp.prev_node_id = plan.node_id;
    run.vars._temp.prev_next_node = plan.next_node;
    run.current_node = plan.next_node!;
  }
  throw new Error('flow did not finish');
}
