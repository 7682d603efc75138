// Per-step evaluation scope: input resolution for exec nodes (spec §4.5.1), lazy pure-node
// evaluation with a cache that lives for one step only (§4.5.2), and the output reading rule
// (§4.4). Created fresh for every step, so compiled graphs stay immutable.

import type { JsonObject, RunState } from '../../model/run.js';
import { cloneJson, isPlainObject } from '../../model/json.js';
import { isEffectNode } from '../nodes/definition.js';
import type { StepContext } from '../types.js';
import type { FlowGraph, GraphNode } from './graph.js';

/** Reads pin `pin` of a node output: the key itself, or the whole output for `result`/`output`. */
export function readPin(out: any, pin: string): any {
  if (out === undefined) return undefined;
  if (isPlainObject(out) && pin in out) return out[pin];
  return pin === 'result' || pin === 'output' ? out : undefined;
}

/** How an exec node sees the pipeline value when `_last_output` does not exist yet. */
export type AmbientMode = 'pipeline' | 'visual';

export class StepScope {
  private readonly cache = new Map<string, any>();
  private readonly evaluating = new Set<string>();

  constructor(
    readonly g: FlowGraph,
    readonly run: RunState,
    readonly ctx: StepContext,
  ) {}

  get vars(): JsonObject {
    return this.run.vars;
  }

  /** The ambient input object (spec §4.5.1): `_last_output`, else `{}` or (visual nodes) all vars. */
  ambient(mode: AmbientMode): any {
    if ('_last_output' in this.vars) return this.vars._last_output;
    return mode === 'visual' ? this.vars : {};
  }

  /** Resolve an exec node's inputs: ambient copy, then data edges, then pin defaults. */
  resolveInputs(n: GraphNode, mode: AmbientMode = 'pipeline'): JsonObject {
    const ambient = this.ambient(mode);
    const r: JsonObject = isPlainObject(ambient) ? { ...ambient } : {};
    this.applyEdges(n, r);
    const declared = new Set(n.inputPins);
    for (const [pin, dv] of Object.entries(n.pinDefaults)) {
      if (pin in n.dataIn) continue; // connected pins never take defaults
      if (!declared.has(pin) && pin in r) continue; // ambient wins for undeclared pins
      r[pin] = cloneJson(dv);
    }
    return r;
  }

  /** Current output of any node, or undefined when it has none yet (spec §4.4). */
  outputOf(nodeId: string): any {
    const n = this.g.nodes.get(nodeId);
    if (!n) return undefined;
    if (n.role === 'literal') return this.runLogic(n, {});
    if (n.role === 'pure') return this.evalPure(n);
    const temp = this.vars._temp;
    if (n.def && isEffectNode(n.def)) {
      const effects = isPlainObject(temp) ? temp.effects : undefined;
      if (!isPlainObject(effects) || !(nodeId in effects)) return undefined;
      return n.def.outputs(effects[nodeId], n, this.g);
    }
    const outputs = isPlainObject(temp) ? temp.node_outputs : undefined;
    return isPlainObject(outputs) && nodeId in outputs ? outputs[nodeId] : undefined;
  }

  private applyEdges(n: GraphNode, r: JsonObject): void {
    for (const [pin, src] of Object.entries(n.dataIn)) {
      const value = readPin(this.outputOf(src.node), src.pin);
      if (value !== undefined) r[pin] = value;
    }
  }

  private evalPure(n: GraphNode): any {
    if (this.cache.has(n.id)) return this.cache.get(n.id);
    if (this.evaluating.has(n.id)) throw new Error(`Data edge cycle detected at '${n.id}'`);
    this.evaluating.add(n.id);
    try {
      const r: JsonObject = {};
      this.applyEdges(n, r);
      for (const [pin, dv] of Object.entries(n.pinDefaults)) if (!(pin in n.dataIn) && !(pin in r)) r[pin] = cloneJson(dv);
      const out = this.runLogic(n, r);
      this.cache.set(n.id, out);
      return out;
    } finally {
      this.evaluating.delete(n.id);
    }
  }

  /** Run a node-library logic on resolved inputs (pure nodes, and library nodes drawn with exec pins). */
  runLogic(n: GraphNode, inputs: JsonObject): any {
    if (!n.def || !('logic' in n.def)) throw new Error(`Unknown node type '${n.type}' (node '${n.id}')`);
    const node = { id: n.id, type: n.type, data: n.data };
    return n.def.logic(inputs, { node, inputPins: n.inputPins, vars: this.vars, run: this.run, ctx: this.ctx });
  }
}
