// Small accessors for the reserved `vars` namespaces the engine writes (spec §1.3).

import type { JsonObject } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';

/** Returns `vars[key]` as an object, creating (or replacing a non-object with) `{}`. */
export function ensureObject(parent: JsonObject, key: string): JsonObject {
  const cur = parent[key];
  if (isPlainObject(cur)) return cur;
  const fresh: JsonObject = {};
  parent[key] = fresh;
  return fresh;
}

export const tempOf = (vars: JsonObject): JsonObject => ensureObject(vars, '_temp');

/** Persist the pin values of an executed non-effect node (read back by data edges, §4.4). */
export function persistOutput(vars: JsonObject, nodeId: string, value: any): void {
  ensureObject(tempOf(vars), 'node_outputs')[nodeId] = value;
}

/** The exec handle taken by the last transition; `join_exec` uses it to tell routes apart. */
export function setPrevExecHandle(vars: JsonObject, handle: string): void {
  tempOf(vars).prev_exec_handle = handle;
}

/** Record a graph-level error (§4.11) and return the run output that reports it. */
export function flowError(vars: JsonObject, nodeId: string, error: string): JsonObject {
  vars._flow_error = error;
  vars._flow_error_node = nodeId;
  return { success: false, error, node: nodeId };
}

export function addFlowWarning(vars: JsonObject, message: string): void {
  const list = Array.isArray(vars._flow_warnings) ? vars._flow_warnings : (vars._flow_warnings = []);
  if (!list.includes(message)) list.push(message);
}
