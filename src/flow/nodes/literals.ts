// Literal nodes (spec §5.6): the configured `literalValue`, verbatim, on pin `value`.

import { pyStrip } from '../py.js';
import type { PureLogic } from '../types.js';
import { type NodeDefinition, pureNodes } from './definition.js';

const literal: PureLogic = (_inputs, nc) => ({ value: nc.node.data.literalValue ?? null });

/** Selected tool names: trimmed, non-empty, de-duplicated in order. */
const toolsAllowlist: PureLogic = (_inputs, nc) => {
  const raw = nc.node.data.literalValue;
  const names = (Array.isArray(raw) ? raw : []).filter((x): x is string => typeof x === 'string').map(pyStrip);
  return { tools: [...new Set(names.filter(Boolean))] };
};

export const LITERAL_NODES: NodeDefinition[] = [
  ...pureNodes(
    { literal_string: literal, literal_number: literal, literal_boolean: literal, literal_json: literal, literal_array: literal, json_schema: literal },
    'literal',
  ),
  ...pureNodes({ tools_allowlist: toolsAllowlist }),
];
