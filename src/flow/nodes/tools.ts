// Tool and model-runtime effect nodes (spec §5.8): tool_calls, call_tool, model_residency.

import type { JsonObject, StepPlan } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import { pyFloat, pyStr } from '../py.js';
import { coerceBool, inputOrConfig, nonBlank, type Pending, pendingPlan } from '../engine/effect.js';
import { type ExecNode, type FlowGraph, type GraphNode, pinRef } from '../engine/graph.js';
import type { StepScope } from '../engine/scope.js';
import type { NodeDefinition } from './definition.js';

function parseJsonString(raw: string): any {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Tool calls from an object, a list of objects, or their JSON text. */
function toolCallList(raw: any): JsonObject[] {
  if (isPlainObject(raw)) return [{ ...raw }];
  if (Array.isArray(raw)) return raw.filter(isPlainObject).map((c) => ({ ...c }));
  if (typeof raw === 'string' && raw.trim()) return toolCallList(parseJsonString(raw));
  return [];
}

const strList = (raw: any): string[] => (Array.isArray(raw) ? raw.filter((x) => nonBlank(x)).map((x: string) => x.trim()) : []);

/** `tool_calls` payload; the allowlist is included only when wired or configured (an empty list allows nothing). */
function toolCallsPending(calls: JsonObject[], inputs: JsonObject, n: ExecNode): Pending {
  const cfg = n.data.effectConfig ?? {};
  const configured = cfg.allowed_tools ?? cfg.allowedTools;
  const pinned = 'allowed_tools' in inputs || 'allowedTools' in inputs;
  const pending: Pending = { type: 'tool_calls', tool_calls: calls };
  if (pinned) pending.allowed_tools = strList(inputs.allowed_tools ?? inputs.allowedTools);
  else if (Array.isArray(configured)) pending.allowed_tools = strList(configured);
  return pending;
}

function toolCallsStep(n: ExecNode, s: StepScope): StepPlan {
  const inputs = s.resolveInputs(n);
  return pendingPlan(n, toolCallsPending(toolCallList(inputs.tool_calls), inputs, n));
}

function callToolStep(n: ExecNode, s: StepScope): StepPlan {
  const inputs = s.resolveInputs(n);
  let call = inputs.tool_call ?? inputs.toolCall;
  if (typeof call === 'string') call = parseJsonString(call);
  return pendingPlan(n, toolCallsPending(isPlainObject(call) ? [{ ...call }] : [], inputs, n));
}

const RESIDENCY_STRINGS: [string, string[]][] = [
  ['task', ['task']],
  ['provider', ['provider']],
  ['model', ['model']],
  ['runtime_id', ['runtime_id', 'runtimeId']],
  ['base_url', ['base_url', 'baseUrl']],
  ['provider_api_key', ['provider_api_key', 'api_key', 'apiKey']],
  ['cache_policy', ['cache_policy', 'cachePolicy']],
];

function modelResidencyStep(n: ExecNode, s: StepScope): StepPlan {
  const inputs = s.resolveInputs(n);
  const cfg = n.data.effectConfig ?? {};
  const pick = (...keys: string[]) => inputOrConfig(inputs, cfg, keys);
  const pending: Pending = { type: 'model_residency', operation: nonBlank(pick('operation')) || 'list_loaded' };
  for (const [key, aliases] of RESIDENCY_STRINGS) if (nonBlank(pick(...aliases))) pending[key] = nonBlank(pick(...aliases));
  const timeout = pick('timeout_s', 'timeout', 'timeoutS');
  if (timeout != null && typeof timeout !== 'boolean') {
    try {
      pending.timeout_s = pyFloat(timeout);
    } catch {
      // invalid timeout: omitted
    }
  }
  if (isPlainObject(pick('options'))) pending.options = { ...pick('options') };
  for (const [key, dflt] of [['pin', true], ['required', false]] as const) {
    if (key in inputs || key in cfg) pending[key] = coerceBool(pick(key) ?? dflt);
  }
  return pendingPlan(n, pending);
}

/** A result `mode` other than `executed`: the host did not run the calls. */
const notExecuted = (raw: JsonObject): boolean => nonBlank(raw.mode) !== '' && raw.mode !== 'executed';

function toolCallsOutputs(raw: any): JsonObject {
  if (!isPlainObject(raw)) return {};
  const results = Array.isArray(raw.results) ? raw.results : [];
  return { results, success: notExecuted(raw) ? false : results.every((r: any) => isPlainObject(r) && r.success === true), raw };
}

function callToolOutputs(raw: any): JsonObject {
  if (!isPlainObject(raw)) return {};
  const first = Array.isArray(raw.results) ? raw.results[0] : undefined;
  if (notExecuted(raw)) return { success: false, result: `Tool execution not completed (mode=${raw.mode})`, raw };
  if (!isPlainObject(first)) return { success: false, result: 'Missing tool result', raw };
  const ok = first.success === true;
  return { success: ok, result: ok ? first.output ?? null : first.error || 'Tool execution failed', raw };
}

function modelResidencyOutputs(raw: any, n: GraphNode, g: FlowGraph): JsonObject {
  if (!isPlainObject(raw)) return { success: false, affected_models: [], models: [], error: pyStr(raw), warnings: raw == null ? [] : [pyStr(raw)], result: raw };
  const success = typeof raw.success === 'boolean' ? raw.success : typeof raw.ok === 'boolean' ? raw.ok : !raw.error;
  const affected = Array.isArray(raw.affected_models) ? raw.affected_models : isPlainObject(raw.runtime) ? [raw.runtime] : Array.isArray(raw.models) ? raw.models : [];
  const out: JsonObject = {
    success,
    affected_models: affected,
    models: Array.isArray(raw.models) ? raw.models : affected,
    error: raw.error ? pyStr(raw.error) : '',
    warnings: Array.isArray(raw.warnings) ? raw.warnings : [],
    result: raw,
  };
  for (const pin of ['runtime', 'loaded_new', 'unloaded']) if (g.referencedPins.has(pinRef(n.id, pin))) out[pin] = raw[pin] ?? null;
  return out;
}

export const TOOL_NODES: NodeDefinition[] = [
  { type: 'tool_calls', kind: 'effect', effect: 'tool_calls', step: toolCallsStep, outputs: toolCallsOutputs },
  { type: 'call_tool', kind: 'effect', effect: 'tool_calls', step: callToolStep, outputs: callToolOutputs },
  { type: 'model_residency', kind: 'effect', effect: 'model_residency', step: modelResidencyStep, outputs: modelResidencyOutputs },
];
