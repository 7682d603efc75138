// Namespacing of a bundle's flow documents before compilation (spec runtime-visualflow
// §4.1.3): flows of different bundles/versions (e.g. test@dev and coder@dev both have
// b4c6f107) must never collide, and intra-bundle subflow references must follow.

import { cloneJson, isPlainObject } from '../model/json.js';
import type { VisualFlow } from '../flow/types.js';
import { workflowIdOf } from './versions.js';

/** Keys a `subflow` node may use to name its child flow (legacy aliases included). */
const SUBFLOW_KEYS = ['subflowId', 'flowId', 'workflowId', 'workflow_id'] as const;

/** `s()` of the spec: each run of characters outside [A-Za-z0-9_-] becomes '_'. */
export const sanitizeIdPart = (s: string): string => s.replace(/[^A-Za-z0-9_-]+/g, '_');

/** Id of the ReAct workflow derived from an agent node. */
export const reactWorkflowId = (workflowId: string, nodeId: string): string =>
  `visual_react_agent_${sanitizeIdPart(workflowId)}_${sanitizeIdPart(nodeId)}`;

export const LISTENER_WORKFLOW_PREFIX = 'visual_event_listener_';

/** Id of the listener workflow derived from an `on_event` node (spec §3.4.4). */
export const listenerWorkflowId = (workflowId: string, nodeId: string): string =>
  `${LISTENER_WORKFLOW_PREFIX}${sanitizeIdPart(workflowId)}_${sanitizeIdPart(nodeId)}`;

/** Ids of a flow's `on_event` nodes: each one gets its own listener workflow. */
export function onEventNodeIds(flow: VisualFlow): string[] {
  return (Array.isArray(flow.nodes) ? flow.nodes : []).filter((n) => isPlainObject(n) && nodeKind(n.type) === 'on_event').map((n) => String(n.id));
}

/** Ids of the ReAct workflows of a namespaced flow's agent nodes (set by namespaceFlow). */
export function reactWorkflowIds(flow: VisualFlow): string[] {
  const nodes = Array.isArray(flow.nodes) ? flow.nodes : [];
  return nodes.flatMap((n) => (isPlainObject(n) && nodeKind(n.type) === 'agent' && typeof n.data?.agentConfig?._react_workflow_id === 'string' ? [n.data.agentConfig._react_workflow_id] : []));
}

/** "NodeType.SUBFLOW" (enum spelling some editors write) → "subflow". */
const nodeKind = (type: unknown): string =>
  typeof type === 'string' && type.startsWith('NodeType.') ? type.slice('NodeType.'.length).toLowerCase() : String(type ?? '');

/**
 * Namespaced copies of a bundle's flows, keyed like the input (manifest flow id). Each copy's
 * `id` is `<bundle_id>@<version>:<flow_id>`; the inputs are not modified.
 */
export function namespaceBundleFlows(bundleId: string, version: string, flows: Record<string, VisualFlow>): Record<string, VisualFlow> {
  const idMap = new Map(Object.keys(flows).map((fid) => [fid, workflowIdOf(bundleId, version, fid)]));
  return Object.fromEntries(Object.entries(flows).map(([fid, flow]) => [fid, namespaceFlow(flow, idMap.get(fid)!, idMap)]));
}

/** Copy of `flow` with id `workflowId`, subflow references mapped through `idMap`, agent ReAct ids set. */
export function namespaceFlow(flow: VisualFlow, workflowId: string, idMap: ReadonlyMap<string, string>): VisualFlow {
  const out = cloneJson(flow);
  out.id = workflowId;
  for (const node of Array.isArray(out.nodes) ? out.nodes : []) {
    if (!isPlainObject(node)) continue;
    const kind = nodeKind(node.type);
    if (kind !== 'subflow' && kind !== 'agent') continue;
    if (!isPlainObject(node.data)) node.data = {};
    const data = node.data;
    if (kind === 'subflow') {
      for (const key of SUBFLOW_KEYS) {
        const ref = data[key];
        const target = typeof ref === 'string' ? idMap.get(ref.trim()) : undefined;
        if (target !== undefined) data[key] = target;
      }
    } else {
      const nodeId = typeof node.id === 'string' ? node.id.trim() : '';
      if (!nodeId) continue;
      if (!isPlainObject(data.agentConfig)) data.agentConfig = {};
      data.agentConfig._react_workflow_id = reactWorkflowId(workflowId, nodeId);
    }
  }
  return out;
}
