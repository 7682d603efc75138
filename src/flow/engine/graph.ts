// The compiled, immutable shape of a VisualFlow (spec §4.3). Built once by the compiler and
// shared by every run of the workflow: nothing here may be mutated while stepping.

import type { NodeDefinition } from '../nodes/definition.js';
import type { NodeData, VisualFlow } from '../types.js';

/** How a node takes part in the graph: a constant, a lazily evaluated data node, or a step. */
export type NodeRole = 'literal' | 'pure' | 'exec';

/** Where a data input pin reads from. */
export interface PinSource {
  node: string;
  pin: string;
}

export interface GraphNode {
  id: string;
  /** Normalized node type ("NodeType.X" → "x"). */
  type: string;
  role: NodeRole;
  /** Absent for unknown types, which are only allowed where nothing runs them. */
  def: NodeDefinition | undefined;
  data: NodeData;
  /** Declared non-exec input pin ids, in declaration order. */
  inputPins: string[];
  /** Declared type of each non-exec input pin. */
  inputPinTypes: Record<string, string>;
  /** Declared non-exec output pin ids, in declaration order. */
  outputPins: string[];
  pinDefaults: Record<string, any>;
  /** Incoming data edges: target pin → source. */
  dataIn: Record<string, PinSource>;
}

/** Outgoing exec structure of a reachable exec node (spec §4.3 step 8). */
export interface Control {
  /** Target of `exec-out` (null = terminal). */
  next: string | null;
  /** Branch handle (`true`, `false`, `default`, `case:<id>`) → target, for branching nodes. */
  branches: Record<string, string> | null;
  /** Scheduler handles (`then:<n>`, `completed`, `loop`, `done`) → target. */
  targets: Record<string, string>;
  /** `sequence`/`parallel`: connected `then:<n>` handles in numeric order. */
  thenHandles: string[];
  /** `join_exec`: incoming routes in route order. */
  routes: { source: string; handle: string }[];
}

export interface ExecNode extends GraphNode {
  role: 'exec';
  def: NodeDefinition;
  control: Control;
}

/** Tool specs by name, used to turn a tool-name allowlist into ToolSpecs for `llm_call`. */
export type ToolSpecTable = Record<string, Record<string, any>>;

export interface FlowGraph {
  workflowId: string;
  entry: string;
  flow: VisualFlow;
  /** Reachable exec nodes. */
  exec: ReadonlyMap<string, ExecNode>;
  /** Every node that can produce a value: literals, pure nodes and reachable exec nodes. */
  nodes: ReadonlyMap<string, GraphNode>;
  /** `"<node>\u0000<pin>"` for every source pin read by a data edge (legacy output pins). */
  referencedPins: ReadonlySet<string>;
  toolSpecs: ToolSpecTable | null;
}

export const pinRef = (node: string, pin: string): string => `${node}\u0000${pin}`;
