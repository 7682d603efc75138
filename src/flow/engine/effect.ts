// Building blocks of effect nodes: the plan shape (spec §4.6.3) and input helpers.

import type { JsonObject, StepPlan } from '../../model/run.js';
import type { ExecNode } from './graph.js';

/** Every effect node stores its raw outcome here; the output mappers read it back. */
export const resultKey = (nodeId: string): string => `_temp.effects.${nodeId}`;

/** A node's pending effect: `{type, ...fields}` (the payload keeps the `type` key). */
export type Pending = JsonObject & { type: string };

export function effectPlan(n: ExecNode, type: string, payload: JsonObject): StepPlan {
  return { node_id: n.id, effect: { type, payload, result_key: resultKey(n.id) }, next_node: n.control.next };
}

/** Standard effect node plan: the pending effect plus `resume_to_node: next`. */
export function pendingPlan(n: ExecNode, pending: Pending): StepPlan {
  return effectPlan(n, pending.type, { ...pending, resume_to_node: n.control.next });
}

/** Python-style boolean parsing for control pins ("true/1/yes/on"). */
export function coerceBool(value: any): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return ['true', '1', 'yes', 'on'].includes(value.trim().toLowerCase());
  return false;
}

/** The trimmed string; '' for blank strings and non-strings. */
export const nonBlank = (v: any): string => (typeof v === 'string' ? v.trim() : '');

/** First non-empty value among input pins, then effectConfig (spec §5.13 resolution order). */
export function inputOrConfig(inputs: JsonObject, config: JsonObject, keys: string[]): any {
  for (const source of [inputs, config]) {
    for (const key of keys) {
      const v = source[key];
      if (v !== undefined && v !== null && v !== '') return v;
    }
  }
  return undefined;
}
