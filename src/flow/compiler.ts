// VisualFlow JSON → CompiledWorkflow (spec §4.3). Compilation validates the graph and builds
// an immutable FlowGraph; all execution state lives in run.vars (see engine/).

import type { NodeDefinition } from './nodes/definition.js';
import { isPureNodeType, nodeDefinition } from './nodes/index.js';
import type { CompiledWorkflow, NodeData, Pin, VisualEdge, VisualFlow, VisualNode } from './types.js';
import type { Control, ExecNode, FlowGraph, GraphNode, NodeRole, PinSource, ToolSpecTable } from './engine/graph.js';
import { pinRef } from './engine/graph.js';
import { LoweringError, lowerMultiEntry } from './engine/lowering.js';
import { stepFlow } from './engine/step.js';

export class CompileError extends Error {
  override name = 'CompileError';
}

export interface CompileOptions {
  /** Entry node override (derived listener workflows start at their `on_event` node). */
  entryNode?: string;
  /** Workflow id override (defaults to the flow id). */
  workflowId?: string;
  /** Known ToolSpecs by name, to expand tool-name allowlists of `llm_call`/`agent` nodes. */
  toolSpecs?: ToolSpecTable;
}

const EXEC_IN = 'exec-in';
const isBranchHandle = (h: string) => h === 'true' || h === 'false' || h === 'default' || h.startsWith('case:');

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** "NodeType.LLM_CALL" → "llm_call". */
function normalizeType(raw: unknown): string {
  const s = typeof raw === 'string' ? raw.trim() : '';
  return s.startsWith('NodeType.') ? s.slice('NodeType.'.length).toLowerCase() : s;
}

/** Permissive parse (spec §4.3 step 1): drop id-less nodes and edges with a missing endpoint or handle. */
function parse(flow: VisualFlow): { nodes: VisualNode[]; edges: VisualEdge[] } {
  const nodes: VisualNode[] = [];
  for (const raw of Array.isArray(flow.nodes) ? flow.nodes : []) {
    if (!raw || !nonEmpty(raw.id)) continue;
    const data: NodeData = raw.data && typeof raw.data === 'object' ? raw.data : {};
    nodes.push({ ...raw, type: normalizeType(raw.type) || normalizeType(data.nodeType), data });
  }
  const ids = new Set(nodes.map((n) => n.id));
  const edges = (Array.isArray(flow.edges) ? flow.edges : []).filter(
    (e) => e && nonEmpty(e.source) && nonEmpty(e.target) && nonEmpty(e.sourceHandle) && nonEmpty(e.targetHandle) && ids.has(e.source) && ids.has(e.target),
  );
  return { nodes, edges };
}

const pinsOf = (v: unknown): Pin[] => (Array.isArray(v) ? v.filter((p) => p && nonEmpty(p.id)) : []);

/** Spec §4.3 step 5: exec pins make a step; a node without pins is pure only if its type is. */
function roleOf(type: string, pins: Pin[]): NodeRole {
  if (pins.some((p) => p.type === 'execution')) return 'exec';
  if (nodeDefinition(type)?.kind === 'literal') return 'literal';
  if (pins.length) return 'pure';
  return isPureNodeType(type) ? 'pure' : 'exec';
}

function graphNode(node: VisualNode, dataIn: Record<string, PinSource>): GraphNode {
  const inputs = pinsOf(node.data.inputs);
  const outputs = pinsOf(node.data.outputs);
  const dataInputs = inputs.filter((p) => p.type !== 'execution');
  const pinDefaults = node.data.pinDefaults && typeof node.data.pinDefaults === 'object' ? node.data.pinDefaults : {};
  return {
    id: node.id,
    type: node.type,
    role: roleOf(node.type, [...inputs, ...outputs]),
    def: nodeDefinition(node.type),
    data: node.data,
    inputPins: dataInputs.map((p) => p.id),
    inputPinTypes: Object.fromEntries(dataInputs.map((p) => [p.id, p.type])),
    outputPins: outputs.filter((p) => p.type !== 'execution').map((p) => p.id),
    pinDefaults,
    dataIn,
  };
}

/** Data edge map (spec §4.3 step 3): target → pin → source; two edges into one pin is an error. */
function dataEdgeMap(edges: VisualEdge[]): Map<string, Record<string, PinSource>> {
  const map = new Map<string, Record<string, PinSource>>();
  for (const e of edges) {
    if (e.targetHandle === EXEC_IN || e.sourceHandle === 'exec-out') continue;
    const pins = map.get(e.target) ?? {};
    if (e.targetHandle in pins) throw new CompileError(`Node '${e.target}' has two data edges into input pin '${e.targetHandle}'`);
    pins[e.targetHandle] = { node: e.source, pin: e.sourceHandle };
    map.set(e.target, pins);
  }
  return map;
}

function selectEntry(execIds: string[], edges: VisualEdge[], preferred: (string | undefined)[]): string {
  if (!execIds.length) throw new CompileError('Flow has no exec node (nothing to run)');
  const isExec = new Set(execIds);
  const chosen = preferred.find((id) => id && isExec.has(id));
  if (chosen) return chosen;
  const hasIncoming = new Set(edges.filter((e) => e.targetHandle === EXEC_IN).map((e) => e.target));
  const root = execIds.find((id) => !hasIncoming.has(id));
  if (!root) throw new CompileError('Flow has no entry: every exec node has an incoming exec edge (cycle without an entry) and entryNode is unset or invalid');
  return root;
}

function reachable(entry: string, execEdges: Map<string, VisualEdge[]>): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const id = todo.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const e of execEdges.get(id) ?? []) todo.push(e.target);
  }
  return seen;
}

const thenIndex = (h: string) => Number(h.slice('then:'.length));

/** Outgoing exec edges → control structure (spec §4.3 step 8). */
function controlOf(n: GraphNode, def: NodeDefinition, outs: VisualEdge[], incoming: VisualEdge[]): Control {
  const control: Control = { next: null, branches: null, targets: {}, thenHandles: [], routes: [] };
  const fail = (why: string): never => {
    throw new CompileError(`Node '${n.id}' (${n.type}): ${why}`);
  };
  const sched = def.kind === 'sched' ? def : null;
  if (sched?.routes) control.routes = incoming.map((e) => ({ source: e.source, handle: e.sourceHandle || 'exec-out' }));
  if (!outs.length) return control;
  const handles = outs.map((e) => e.sourceHandle);
  if (sched?.exits) {
    const exits = sched.exits;
    const bad = handles.filter((h) => !exits.test(h));
    if (bad.length) fail(`unsupported execution outputs ${JSON.stringify(bad)}`);
    for (const e of outs) control.targets[e.sourceHandle] = e.target;
    control.thenHandles = handles.filter((h) => h.startsWith('then:')).sort((a, b) => thenIndex(a) - thenIndex(b));
    return control;
  }
  if (outs.length === 1) {
    const h = handles[0];
    if (h === 'exec-out') control.next = outs[0].target;
    else if (isBranchHandle(h)) control.branches = { [h]: outs[0].target };
    else fail(`unsupported execution output '${h}'`);
    return control;
  }
  const distinct = new Set(handles).size === handles.length;
  const trueFalse = handles.every((h) => h === 'true' || h === 'false');
  const cases = handles.every((h) => h === 'default' || h.startsWith('case:'));
  if (!distinct || !(trueFalse || cases)) fail(`several outgoing exec edges ${JSON.stringify(handles)} (only distinct true/false or case/default branches may fan out)`);
  control.branches = Object.fromEntries(outs.map((e) => [e.sourceHandle, e.target]));
  return control;
}

/** A reachable exec node needs a known type this runtime can run. */
function execDefinition(n: GraphNode): NodeDefinition {
  if (n.def?.kind === 'unsupported') throw new CompileError(`Node '${n.id}': '${n.type}' nodes are not supported in the TypeScript runtime`);
  if (!n.def) throw new CompileError(`Node '${n.id}' has unknown exec node type '${n.type || '(none)'}'`);
  return n.def;
}

/** Pure nodes feeding reachable nodes must be known and acyclic (spec §4.3, §4.5.2). */
function checkPureDependencies(exec: Map<string, ExecNode>, all: Map<string, GraphNode>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, from: string): void => {
    const n = all.get(id);
    if (!n || n.role !== 'pure') return;
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new CompileError(`Data edge cycle among pure nodes at '${id}'`);
    if (!isPureNodeType(n.type)) throw new CompileError(`Node '${id}' has unknown pure node type '${n.type || '(none)'}' (feeds '${from}')`);
    state.set(id, 'visiting');
    for (const src of Object.values(n.dataIn)) visit(src.node, id);
    state.set(id, 'done');
  };
  for (const n of exec.values()) for (const src of Object.values(n.dataIn)) visit(src.node, n.id);
}

function buildGraph(flow: VisualFlow, opts: CompileOptions): FlowGraph {
  const workflowId = opts.workflowId ?? flow.id ?? flow.flow_id ?? flow.workflow_id;
  if (!nonEmpty(workflowId)) throw new CompileError('Flow has no id');
  let { nodes, edges } = parse(flow);
  try {
    ({ nodes, edges } = lowerMultiEntry(nodes, edges));
  } catch (e) {
    if (e instanceof LoweringError) throw new CompileError(e.message);
    throw e;
  }
  const dataIn = dataEdgeMap(edges);
  const all = new Map(nodes.map((n) => [n.id, graphNode(n, dataIn.get(n.id) ?? {})]));
  const execEdges = new Map<string, VisualEdge[]>();
  const incoming = new Map<string, VisualEdge[]>();
  for (const e of edges.filter((e) => e.targetHandle === EXEC_IN)) {
    execEdges.set(e.source, [...(execEdges.get(e.source) ?? []), e]);
    incoming.set(e.target, [...(incoming.get(e.target) ?? []), e]);
  }
  const execIds = [...all.values()].filter((n) => n.role === 'exec').map((n) => n.id);
  const entry = selectEntry(execIds, edges, [opts.entryNode, flow.entryNode]);
  const exec = new Map<string, ExecNode>();
  for (const id of reachable(entry, execEdges)) {
    const n = all.get(id)!;
    if (n.role !== 'exec') throw new CompileError(`Exec edge leads to non-exec node '${id}'`);
    const def = execDefinition(n);
    exec.set(id, { ...n, role: 'exec', def, control: controlOf(n, def, execEdges.get(id) ?? [], incoming.get(id) ?? []) });
  }
  checkPureDependencies(exec, all);
  // Unreachable exec nodes are discarded; literals and pure nodes always stay.
  const valueNodes = new Map<string, GraphNode>([...all].filter(([id, n]) => n.role !== 'exec' || exec.has(id)));
  for (const [id, n] of exec) valueNodes.set(id, n);
  const referencedPins = new Set(edges.filter((e) => e.targetHandle !== EXEC_IN).map((e) => pinRef(e.source, e.sourceHandle)));
  return { workflowId, entry, flow, exec, nodes: valueNodes, referencedPins, toolSpecs: opts.toolSpecs ?? null };
}

export function compileFlow(flow: VisualFlow, opts: CompileOptions = {}): CompiledWorkflow {
  const g = buildGraph(flow, opts);
  return {
    workflow_id: g.workflowId,
    entry_node: g.entry,
    flow,
    step: (run, ctx) => stepFlow(g, run, ctx),
    hasNode: (nodeId) => g.exec.has(nodeId),
  };
}
