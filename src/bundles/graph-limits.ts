// Graph-size limits of a bundle (issue 7). Compiling runs on the event loop in proportion to
// nodes and edges: a 6.8 MB upload of 200k nodes stalled /api/health for 3.5 s and made every
// reload take 5 s. The counts are checked after parsing and before any compile work, and they
// include what compiling really costs: each `on_event` listener compiles its flow once more.
// A large flow file is parsed and counted off the event loop first (flow-parse-pool.ts), so one
// over the limits is refused before the event loop ever parses it.

import { GatewayError } from '../errors.js';
import type { VisualFlow } from '../flow/types.js';
import { onEventNodeIds } from './namespace.js';

export interface GraphLimits {
  /** Nodes compiled for one bundle (ABSTRACTGATEWAY_BUNDLE_MAX_NODES). */
  maxNodes: number;
  /** Edges compiled for one bundle (ABSTRACTGATEWAY_BUNDLE_MAX_EDGES). */
  maxEdges: number;
}

export const DEFAULT_GRAPH_LIMITS: Readonly<GraphLimits> = Object.freeze({ maxNodes: 20_000, maxEdges: 50_000 });

/** What compiling a flow costs: its nodes and edges, once more for each `on_event` listener. */
export interface GraphCost {
  nodes: number;
  edges: number;
  listeners: number;
}

export const NO_COST: Readonly<GraphCost> = Object.freeze({ nodes: 0, edges: 0, listeners: 0 });

export function graphCost(flow: VisualFlow): GraphCost {
  const listeners = onEventNodeIds(flow).length;
  return { nodes: flow.nodes.length * (1 + listeners), edges: flow.edges.length * (1 + listeners), listeners };
}

export const addCost = (a: GraphCost, b: GraphCost): GraphCost => ({ nodes: a.nodes + b.nodes, edges: a.edges + b.edges, listeners: a.listeners + b.listeners });

/** Throws a 413 naming the setting when compiling flows of cost `cost` would exceed a limit. */
export function checkGraphCost(bundleRef: string, { nodes, edges, listeners }: GraphCost, limits: GraphLimits): void {
  const note = listeners > 0 ? ` (its ${listeners} on_event listeners each compile their flow once more)` : '';
  const over = (what: string, count: number, name: string, limit: number) =>
    new GatewayError('GW_ERR_TOO_LARGE', `Bundle '${bundleRef}' is too large to compile: ${count} ${what}${note}, over ${name}=${limit}`);
  if (nodes > limits.maxNodes) throw over('nodes', nodes, 'ABSTRACTGATEWAY_BUNDLE_MAX_NODES', limits.maxNodes);
  if (edges > limits.maxEdges) throw over('edges', edges, 'ABSTRACTGATEWAY_BUNDLE_MAX_EDGES', limits.maxEdges);
}
