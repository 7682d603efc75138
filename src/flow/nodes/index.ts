// The pure (data) node library: node type → logic. The compiler evaluates these lazily
// (spec §4.5.2); the engine reads their pins through the result/output rule (§4.4).

import type { PureLogic } from '../types.js';
import { DATA_NODES } from './data.js';
import { JSON_NODES } from './json.js';
import { LITERAL_NODES } from './literals.js';
import { LOGIC_NODES } from './logic.js';
import { MATH_NODES } from './math.js';
import { STRING_NODES } from './strings.js';
import { SYSTEM_NODES } from './system.js';
import { VARIABLE_NODES } from './variables.js';

export const PURE_NODES: Readonly<Record<string, PureLogic>> = Object.freeze({
  ...LOGIC_NODES,
  ...MATH_NODES,
  ...STRING_NODES,
  ...DATA_NODES,
  ...JSON_NODES,
  ...LITERAL_NODES,
  ...VARIABLE_NODES,
  ...SYSTEM_NODES,
});

export function isPureNodeType(type: string): boolean {
  return Object.hasOwn(PURE_NODES, type);
}
