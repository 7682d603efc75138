// Effect idempotency keys (spec runtime-visualflow §3.3): the same node issuing the same
// payload in the same run gets the same key, so a completed result is reused, not re-run.

import { createHash } from 'node:crypto';
import { canonicalJson } from '../model/json.js';
import type { Effect } from '../model/run.js';

const VOLATILE_CALL_KEYS = ['call_id', 'id', 'runtime_call_id', 'model_call_id', 'idempotency_key'];

/** Tool-call batches are keyed on what is asked, not on provider-assigned call ids. */
function normalizeToolCalls(payload: Record<string, any>): Record<string, any> {
  const calls = Array.isArray(payload.tool_calls) ? payload.tool_calls : [];
  const out: Record<string, any> = { ...payload };
  out.tool_calls = calls.map((c: any) => {
    if (c === null || typeof c !== 'object') return c;
    const n: Record<string, any> = { ...c };
    for (const k of VOLATILE_CALL_KEYS) delete n[k];
    if (typeof n.name === 'string') n.name = n.name.trim();
    if (typeof n.arguments === 'string') {
      try {
        const parsed = JSON.parse(n.arguments);
        n.arguments = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
      } catch {
        n.arguments = {};
      }
    }
    return n;
  });
  if (Array.isArray(payload.allowed_tools)) out.allowed_tools = [...new Set(payload.allowed_tools)].sort();
  return out;
}

export function idempotencyKey(runId: string, nodeId: string, effect: Effect): string {
  const payload = effect.type === 'tool_calls' ? normalizeToolCalls(effect.payload) : effect.payload;
  const text = canonicalJson({ run_id: runId, node_id: nodeId, effect_type: effect.type, effect_payload: payload });
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/**
 * A `tool_calls` effect with every call stamped (spec §3.5.3 step 1): `runtime_call_id =
 * rtcall_<key>_<n>` and a `call_id` (the model's, else `id`, else the runtime id). The key
 * ignores these fields, so stamping never changes it.
 */
export function stampToolCalls(effect: Effect, key: string): Effect {
  if (effect.type !== 'tool_calls' || !Array.isArray(effect.payload.tool_calls)) return effect;
  const tool_calls = effect.payload.tool_calls.map((c: any, i: number) => {
    if (c === null || typeof c !== 'object' || Array.isArray(c)) return c;
    const runtime_call_id = `rtcall_${key}_${i + 1}`;
    const callId = [c.call_id, c.id].find((v) => (typeof v === 'string' && v.trim()) || typeof v === 'number');
    return { ...c, call_id: callId !== undefined ? String(callId) : runtime_call_id, runtime_call_id };
  });
  return { ...effect, payload: { ...effect.payload, tool_calls } };
}
