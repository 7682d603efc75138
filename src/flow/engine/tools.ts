// Tool and model-runtime effect nodes (spec §5.8): tool_calls, call_tool, model_residency.

import type { JsonObject, StepPlan } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import { pyFloat } from '../py.js';
import { coerceBool, nonBlank, type Pending, pendingPlan } from './effect.js';
import { inputOrConfig } from './events.js';
import type { ExecNode } from './graph.js';
import type { StepScope } from './scope.js';

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

export function toolCallsStep(n: ExecNode, s: StepScope): StepPlan {
  const inputs = s.resolveInputs(n);
  return pendingPlan(n, toolCallsPending(toolCallList(inputs.tool_calls), inputs, n));
}

export function callToolStep(n: ExecNode, s: StepScope): StepPlan {
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

export function modelResidencyStep(n: ExecNode, s: StepScope): StepPlan {
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
