// Entry, exit and trigger nodes (spec §5.1, §4.9): visual function nodes whose result becomes
// the pipeline value; `on_flow_end` defines the run output.

import type { JsonObject } from '../../model/run.js';
import { cloneJson } from '../../model/json.js';
import type { ExecNode } from '../engine/graph.js';
import { visual } from '../engine/visual.js';
import type { NodeDefinition } from './definition.js';

function onFlowStart(inputs: JsonObject, n: ExecNode): JsonObject {
  const params = n.outputPins;
  if (params.length) return Object.fromEntries(params.map((p) => [p, p in inputs ? inputs[p] : null]));
  // No declared parameters (gateway wrapper flows): every public input key.
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(inputs)) if (!k.startsWith('_')) out[k] = v;
  for (const [k, dv] of Object.entries(n.pinDefaults)) if (!k.startsWith('_') && !(k in out)) out[k] = cloneJson(dv);
  return out;
}

function onFlowEnd(inputs: JsonObject, n: ExecNode): JsonObject {
  if (!n.inputPins.length) return inputs;
  return Object.fromEntries(n.inputPins.map((p) => [p, inputs[p] ?? null]));
}

export const ENTRY_NODES: NodeDefinition[] = [
  { type: 'on_flow_start', kind: 'visual', step: visual(onFlowStart) },
  { type: 'on_flow_end', kind: 'visual', step: visual(onFlowEnd), endsRun: true },
  { type: 'on_user_request', kind: 'visual', step: visual((i) => ({ message: i.message ?? '', context: i.context ?? {} })) },
  {
    type: 'on_agent_message',
    kind: 'visual',
    step: visual((i, n) => ({ sender: i.sender ?? 'unknown', message: i.message ?? '', channel: n.data.eventConfig?.channel ?? '' })),
  },
];
