// Multi-entry lowering (spec §4.3 step 2): a node with several incoming exec edges gets an
// internal `join_exec` in front of it, and each `inputRouteOverrides` pin an internal
// `path_mux` that picks the value of the route actually taken.

import type { VisualEdge, VisualNode } from '../types.js';

export class LoweringError extends Error {}

const EXEC_IN = 'exec-in';
const handleOf = (h: any): string => (typeof h === 'string' && h.trim() ? h.trim() : 'exec-out');
const routeKey = (source: string, handle: string) => `${source}::${handle}`;

interface Route {
  key: string;
  source: string;
  handle: string;
}

/** Entry routes in `entryRoutes` order (else edge order); they must match the edges 1:1. */
function entryRoutes(node: VisualNode, incoming: VisualEdge[]): Route[] {
  const declared = Array.isArray(node.data.entryRoutes) ? node.data.entryRoutes : [];
  let routes: Route[] = declared.flatMap((r: any) => {
    const source = typeof r?.sourceNodeId === 'string' ? r.sourceNodeId.trim() : typeof r?.source === 'string' ? r.source.trim() : '';
    if (!source) return [];
    const handle = handleOf(r.sourceHandle);
    return [{ key: typeof r.key === 'string' && r.key.trim() ? r.key.trim() : routeKey(source, handle), source, handle }];
  });
  if (!routes.length) routes = incoming.map((e) => ({ key: routeKey(e.source, handleOf(e.sourceHandle)), source: e.source, handle: handleOf(e.sourceHandle) }));
  const keys = routes.map((r) => r.key);
  if (new Set(keys).size !== keys.length) throw new LoweringError(`Node '${node.id}' has duplicate entryRoutes keys`);
  const edgePairs = incoming.map((e) => routeKey(e.source, handleOf(e.sourceHandle)));
  if (new Set(edgePairs).size !== edgePairs.length) throw new LoweringError(`Node '${node.id}' has duplicate incoming exec edges (ambiguous routes)`);
  const routePairs = routes.map((r) => routeKey(r.source, r.handle));
  const missing = routePairs.filter((p) => !edgePairs.includes(p));
  const extra = edgePairs.filter((p) => !routePairs.includes(p));
  if (missing.length || extra.length) {
    throw new LoweringError(`Node '${node.id}' entryRoutes mismatch with incoming exec edges (missing=${JSON.stringify(missing)} extra=${JSON.stringify(extra)})`);
  }
  return routes;
}

/** pin → route key → data source, from `inputRouteOverrides`. */
function routeOverrides(node: VisualNode): Map<string, Map<string, { source: string; handle: string }>> {
  const out = new Map<string, Map<string, { source: string; handle: string }>>();
  const raw = node.data.inputRouteOverrides;
  if (!raw || typeof raw !== 'object') return out;
  for (const [pin, perRoute] of Object.entries(raw)) {
    if (!pin || !perRoute || typeof perRoute !== 'object') continue;
    const norm = new Map<string, { source: string; handle: string }>();
    for (const [key, ref] of Object.entries(perRoute as Record<string, any>)) {
      const source = ref?.sourceNodeId ?? ref?.source;
      const handle = ref?.sourceHandle ?? ref?.handle;
      if (key.trim() && typeof source === 'string' && source && typeof handle === 'string' && handle) norm.set(key.trim(), { source, handle });
    }
    if (norm.size) out.set(pin, norm);
  }
  return out;
}

export function lowerMultiEntry(nodes: VisualNode[], edges: VisualEdge[]): { nodes: VisualNode[]; edges: VisualEdge[] } {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const incoming = new Map<string, VisualEdge[]>();
  for (const e of edges) if (e.targetHandle === EXEC_IN) incoming.set(e.target, [...(incoming.get(e.target) ?? []), e]);
  const targets = [...incoming.entries()].filter(([id, ins]) => ins.length > 1 && byId.has(id)).map(([id]) => id).sort();
  if (!targets.length) return { nodes, edges };

  const removed = new Set<VisualEdge>();
  const addedNodes: VisualNode[] = [];
  const addedEdges: VisualEdge[] = [];
  const edge = (source: string, sourceHandle: string, target: string, targetHandle: string) => addedEdges.push({ source, sourceHandle, target, targetHandle });
  const addNode = (id: string, type: string, data: Record<string, any> = {}) => {
    if (byId.has(id)) throw new LoweringError(`Internal node id collision: '${id}' already exists`);
    const node: VisualNode = { id, type, data: { ...data, _internal: true } };
    byId.set(id, node);
    addedNodes.push(node);
  };

  for (const targetId of targets) {
    const target = byId.get(targetId)!;
    const ins = incoming.get(targetId)!;
    const routes = entryRoutes(target, ins);
    const joinId = `__internal_join_exec__${targetId}`;
    addNode(joinId, 'join_exec');
    ins.forEach((e) => removed.add(e));
    for (const r of routes) edge(r.source, r.handle, joinId, EXEC_IN);
    edge(joinId, 'exec-out', targetId, EXEC_IN);

    const overrides = routeOverrides(target);
    const routeIndex = new Map(routes.map((r, i) => [r.key, i]));
    for (const pin of [...overrides.keys()].sort()) {
      const perRoute = overrides.get(pin)!;
      for (const [key, ref] of perRoute) {
        if (!routeIndex.has(key)) throw new LoweringError(`Node '${targetId}' override for pin '${pin}' references unknown route '${key}'`);
        if (!byId.has(ref.source)) throw new LoweringError(`Node '${targetId}' override for pin '${pin}' references missing node '${ref.source}'`);
      }
      const muxId = `__internal_path_mux__${targetId}__${pin}`;
      const base = edges.filter((e) => !removed.has(e) && e.targetHandle !== EXEC_IN && e.target === targetId && e.targetHandle === pin);
      if (base.length > 1) throw new LoweringError(`Node '${targetId}' has multiple incoming data edges to pin '${pin}'`);
      const defaults = target.data.pinDefaults ?? {};
      addNode(muxId, 'path_mux', !base.length && pin in defaults ? { pinDefaults: { fallback: defaults[pin] } } : {});
      if (base.length) {
        removed.add(base[0]);
        edge(base[0].source, base[0].sourceHandle, muxId, 'fallback');
      }
      edge(joinId, 'which', muxId, 'select');
      for (const [key, ref] of perRoute) edge(ref.source, ref.handle, muxId, `in${routeIndex.get(key)}`);
      edge(muxId, 'out', targetId, pin);
    }
  }
  return { nodes: [...nodes, ...addedNodes], edges: [...edges.filter((e) => !removed.has(e)), ...addedEdges] };
}
