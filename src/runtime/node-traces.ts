// Durable per-node effect traces in vars._runtime.node_traces (spec runtime-visualflow §2.6).

import type { Effect, EffectOutcome, RunState } from '../model/run.js';
import { isPlainObject } from '../model/json.js';

const MAX_STEPS_PER_NODE = 100;

export function appendNodeTrace(
  run: RunState,
  nodeId: string,
  effect: Effect,
  key: string,
  outcome: EffectOutcome,
  reused: boolean,
  durationMs: number,
  ts: string,
): void {
  const rt = isPlainObject(run.vars._runtime) ? run.vars._runtime : (run.vars._runtime = {});
  const traces = isPlainObject(rt.node_traces) ? rt.node_traces : (rt.node_traces = {});
  const node = isPlainObject(traces[nodeId]) ? traces[nodeId] : (traces[nodeId] = { node_id: nodeId, steps: [] });
  const entry: Record<string, any> = {
    ts,
    node_id: nodeId,
    status: outcome.status,
    idempotency_key: key,
    reused_prior_result: reused,
    effect: { type: effect.type, payload: effect.payload, result_key: effect.result_key },
    duration_ms: durationMs,
  };
  if (outcome.status === 'completed') entry.result = outcome.result;
  else if (outcome.status === 'waiting') entry.wait = outcome.wait;
  else entry.error = outcome.error;
  const steps: any[] = Array.isArray(node.steps) ? node.steps : (node.steps = []);
  steps.push(entry);
  if (steps.length > MAX_STEPS_PER_NODE) steps.splice(0, steps.length - MAX_STEPS_PER_NODE);
  node.updated_at = ts;
}
