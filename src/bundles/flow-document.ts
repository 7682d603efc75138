// Parsing the JSON files of a bundle: strict UTF-8, then JSON, then (for flows) the VisualFlow
// shape and its compile cost. Pure and synchronous, so the event loop (small files) and the
// parse worker (large ones, flow-parse-worker.ts) run the very same code.

import { isPlainObject } from '../model/json.js';
import type { VisualFlow } from '../flow/types.js';
import { graphCost, type GraphCost } from './graph-limits.js';
import { bundleError } from './manifest.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseJsonFile(bytes: Uint8Array, path: string): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch (err) {
    throw bundleError(`${path} is not valid UTF-8 JSON: ${(err as Error).message}`);
  }
}

function asVisualFlow(raw: unknown, path: string): VisualFlow {
  if (!isPlainObject(raw) || !Array.isArray(raw.nodes) || !Array.isArray(raw.edges)) {
    throw bundleError(`${path} is not a VisualFlow document: expected an object with 'nodes' and 'edges' arrays`);
  }
  return raw as VisualFlow;
}

export function parseFlowDocument(bytes: Uint8Array, path: string): { flow: VisualFlow; cost: GraphCost } {
  const flow = asVisualFlow(parseJsonFile(bytes, path), path);
  return { flow, cost: graphCost(flow) };
}
