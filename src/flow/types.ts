// VisualFlow document shapes (spec runtime-visualflow §4.2) and the contracts between the
// compiler, the node library and the runtime.

import type { JsonObject, RunState, StepPlan } from '../model/run.js';

export interface Pin {
  id: string;
  label?: string;
  type: string;
  description?: string;
  schema?: JsonObject;
}

export interface NodeData {
  nodeType?: string;
  label?: string;
  inputs?: Pin[];
  outputs?: Pin[];
  pinDefaults?: Record<string, any>;
  literalValue?: any;
  effectConfig?: Record<string, any>;
  agentConfig?: Record<string, any>;
  eventConfig?: Record<string, any>;
  subflowId?: string;
  flowId?: string;
  concatConfig?: { separator?: string };
  breakConfig?: { selectedPaths?: string[] };
  switchConfig?: { cases?: { id: string; value: string }[] };
  toolParametersConfig?: { tool?: string };
  entryRoutes?: { key: string; sourceNodeId: string; sourceHandle: string; label?: string }[];
  inputRouteOverrides?: Record<string, Record<string, { sourceNodeId: string; sourceHandle: string }>>;
  [key: string]: any;
}

export interface VisualNode {
  id: string;
  type: string;
  position?: { x: number; y: number };
  data: NodeData;
}

export interface VisualEdge {
  id?: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

export interface VisualFlow {
  id: string;
  name?: string;
  description?: string;
  interfaces?: string[];
  nodes: VisualNode[];
  edges: VisualEdge[];
  entryNode?: string;
  [key: string]: any;
}

/** Ambient services a step may use; injected so tests and replays are deterministic. */
export interface StepContext {
  nowMs(): number;
  random(): number;
}

/** A compiled, immutable workflow. All run state lives in run.vars. */
export interface CompiledWorkflow {
  workflow_id: string;
  entry_node: string;
  /** The source document (after namespacing). */
  flow: VisualFlow;
  /**
   * Execute `run.current_node` once. Mutates `run.vars` (variables, node outputs, control
   * stack) and returns the plan. Throws when building an effect fails (the runtime then
   * fails the run with a tick-exception record).
   */
  step(run: RunState, ctx: StepContext): StepPlan;
  hasNode(nodeId: string): boolean;
}

/** Looks up compiled workflows by id (bundle flows, derived ReAct/listener flows, dynamic flows). */
export interface WorkflowSource {
  getWorkflow(workflowId: string): CompiledWorkflow | undefined;
  /** Optional: look for workflows installed since (e.g. by another process). */
  reload?(): Promise<void>;
}

/** What a pure node's logic sees besides its resolved inputs. */
export interface PureNodeContext {
  node: VisualNode;
  /** Declared non-exec input pin ids, in declaration order. */
  inputPins: string[];
  /** Current run vars (read-only for pure nodes). */
  vars: JsonObject;
  run: Pick<RunState, 'run_id' | 'workflow_id' | 'session_id'>;
  ctx: StepContext;
}

/**
 * Logic of a pure (data) node. Returns the node's output: a scalar/array for nodes whose
 * single output pin is `result` (read through the `result`/`output` rule of spec §4.4), or
 * an object keyed by output pin id otherwise. Throws on invalid input (spec §4.11).
 */
export type PureLogic = (inputs: Record<string, any>, nc: PureNodeContext) => any;
