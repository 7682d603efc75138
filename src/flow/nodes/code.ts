// Code nodes (spec §5.15) run Python, which this runtime cannot: a reachable one fails compilation.

import type { NodeDefinition } from './definition.js';

export const CODE_NODES: NodeDefinition[] = [
  { type: 'code', kind: 'unsupported' },
  { type: 'function', kind: 'unsupported' },
];
