// Terse builders for hand-written VisualFlow documents in tests.

import type { Pin, VisualEdge, VisualFlow, VisualNode } from '../../src/flow/types.js';

export interface NodeSpec {
  /** Data input pin ids. */
  in?: string[];
  /** Data output pin ids. */
  out?: string[];
  /** Exec output handles (default ['exec-out'] for exec nodes). */
  execOut?: string[];
  /** false for pure (data) nodes. */
  exec?: boolean;
  /** Exec nodes without an exec-in pin (entry nodes). */
  entry?: boolean;
  defaults?: Record<string, unknown>;
  data?: Record<string, unknown>;
  pinTypes?: Record<string, string>;
}

export function node(id: string, type: string, s: NodeSpec = {}): VisualNode {
  const isExec = s.exec !== false;
  const pin = (p: string): Pin => ({ id: p, label: p, type: s.pinTypes?.[p] ?? 'any' });
  const inputs: Pin[] = [];
  const outputs: Pin[] = [];
  if (isExec && !s.entry) inputs.push({ id: 'exec-in', label: '', type: 'execution' });
  inputs.push(...(s.in ?? []).map(pin));
  if (isExec) outputs.push(...(s.execOut ?? ['exec-out']).map((h) => ({ id: h, label: h, type: 'execution' })));
  outputs.push(...(s.out ?? []).map(pin));
  return {
    id,
    type,
    position: { x: 0, y: 0 },
    data: { nodeType: type, label: id, inputs, outputs, ...(s.defaults ? { pinDefaults: s.defaults } : {}), ...(s.data ?? {}) },
  };
}

/** Exec edge. */
export const go = (source: string, target: string, handle = 'exec-out'): VisualEdge => ({ source, sourceHandle: handle, target, targetHandle: 'exec-in' });

/** Data edge "source.pin → target.pin". */
export function wire(from: string, to: string): VisualEdge {
  const [source, sourceHandle] = from.split('.');
  const [target, targetHandle] = to.split('.');
  return { source, sourceHandle, target, targetHandle };
}

export function flow(id: string, nodes: VisualNode[], edges: VisualEdge[], entryNode?: string): VisualFlow {
  return { id, name: id, nodes, edges, ...(entryNode ? { entryNode } : {}) };
}
