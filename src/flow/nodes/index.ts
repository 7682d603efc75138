// The node library: every node type's definition, by type. The compiler reads it to classify,
// check and wire nodes (spec §4.3); compiled nodes carry their definition into the engine.

import type { PureLogic } from '../types.js';
import { AGENT_NODES } from './agent.js';
import { CODE_NODES } from './code.js';
import { CONTROL_NODES } from './control.js';
import { DATA_NODES } from './data.js';
import type { NodeDefinition } from './definition.js';
import { ENTRY_NODES } from './entry.js';
import { EVENT_NODES } from './events.js';
import { JSON_NODES } from './json.js';
import { LITERAL_NODES } from './literals.js';
import { LLM_NODES } from './llm.js';
import { LOGIC_NODES } from './logic.js';
import { MATH_NODES } from './math.js';
import { MEDIA_NODES } from './media.js';
import { MEMORY_NODES } from './memory.js';
import { STRING_NODES } from './strings.js';
import { SUBFLOW_NODES } from './subflow.js';
import { SYSTEM_NODES } from './system.js';
import { TOOL_NODES } from './tools.js';
import { VARIABLE_NODES } from './variables.js';

function byType(defs: NodeDefinition[]): ReadonlyMap<string, NodeDefinition> {
  const map = new Map<string, NodeDefinition>();
  for (const def of defs) {
    if (map.has(def.type)) throw new Error(`Node type '${def.type}' is defined twice`);
    map.set(def.type, Object.freeze(def));
  }
  return map;
}

export const NODE_DEFINITIONS = byType([
  ...ENTRY_NODES,
  ...CONTROL_NODES,
  ...LOGIC_NODES,
  ...MATH_NODES,
  ...STRING_NODES,
  ...DATA_NODES,
  ...JSON_NODES,
  ...AGENT_NODES,
  ...LITERAL_NODES,
  ...VARIABLE_NODES,
  ...SYSTEM_NODES,
  ...LLM_NODES,
  ...TOOL_NODES,
  ...EVENT_NODES,
  ...SUBFLOW_NODES,
  ...MEMORY_NODES,
  ...MEDIA_NODES,
  ...CODE_NODES,
]);

export const nodeDefinition = (type: string): NodeDefinition | undefined => NODE_DEFINITIONS.get(type);

/** Node-library logic by type: pure and literal nodes (spec §5.2–5.7). */
export const PURE_NODES: Readonly<Record<string, PureLogic>> = Object.freeze(
  Object.fromEntries([...NODE_DEFINITIONS.values()].flatMap((def) => ('logic' in def ? [[def.type, def.logic]] : []))),
);

export function isPureNodeType(type: string): boolean {
  return Object.hasOwn(PURE_NODES, type);
}
