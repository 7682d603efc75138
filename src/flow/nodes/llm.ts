// `llm_call` node (spec §6.2), and the input helpers the `agent` node (./agent.ts) shares.

import type { JsonObject, StepPlan } from '../../model/run.js';
import { cloneJson, isPlainObject } from '../../model/json.js';
import { pyFloat, pyInt, pyStr } from '../py.js';
import { coerceBool, nonBlank, type Pending, pendingPlan } from '../engine/effect.js';
import { type ExecNode, type FlowGraph, type GraphNode, pinRef } from '../engine/graph.js';
import type { StepScope } from '../engine/scope.js';
import { firstArtifact } from './artifact-refs.js';
import type { NodeDefinition } from './definition.js';

const firstKey = (obj: JsonObject, keys: string[]): string | undefined => keys.find((k) => k in obj);

/** Value of the first alias present in `inputs`, else of the first present in `cfg`. */
function aliased(inputs: JsonObject, cfg: JsonObject, keys: string[]): any {
  const k = firstKey(inputs, keys);
  if (k !== undefined && inputs[k] != null) return inputs[k];
  const c = firstKey(cfg, keys);
  return c === undefined ? undefined : cfg[c];
}

export function positiveInt(v: any): number | null {
  if (v == null || typeof v === 'boolean') return null;
  try {
    const n = pyInt(v);
    return n > 0 ? n : null;
  } catch {
    return null;
  }
}

function toolNames(raw: any): string[] {
  const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
  return [...new Set(list.filter((x: any) => nonBlank(x)).map((x: string) => x.trim()))];
}

/** Tools as ToolSpecs: objects are stripped to `{name, description, parameters}`, names are looked up. */
function normalizeTools(raw: any, g: FlowGraph): JsonObject[] {
  if (Array.isArray(raw) && raw.length && raw.every(isPlainObject)) {
    return raw
      .filter((t) => nonBlank(t.name))
      .map((t) => {
        const spec: JsonObject = { name: t.name.trim() };
        if (typeof t.description === 'string') spec.description = t.description;
        if (isPlainObject(t.parameters)) spec.parameters = t.parameters;
        return spec;
      });
  }
  const names = toolNames(raw);
  // Without a tool table the names travel as name-only specs for the host to resolve.
  if (!g.toolSpecs) return names.map((name) => ({ name }));
  return names.flatMap((name) => (g.toolSpecs![name] ? [cloneJson(g.toolSpecs![name])] : []));
}

/** JSON Schema from a schema or an OpenAI-style `{type:"json_schema", json_schema:{schema}}` wrapper. */
export function normalizeResponseSchema(raw: any): JsonObject | null {
  if (!isPlainObject(raw)) return null;
  const schema = raw.type === 'json_schema' && isPlainObject(raw.json_schema) ? raw.json_schema.schema : raw;
  return isPlainObject(schema) && Object.keys(schema).length ? { ...schema } : null;
}

function normalizeThinking(raw: any): any {
  if (typeof raw === 'boolean') return raw;
  return nonBlank(raw) || undefined;
}

/** `params` of an LLM call: temperature, seed (>= 0 only), thinking, output budget, cache binding. */
function samplingParams(inputs: JsonObject, cfg: JsonObject): JsonObject {
  let temperature = Number(cfg.temperature ?? 0.7);
  if ('temperature' in inputs && inputs.temperature != null && typeof inputs.temperature !== 'boolean') {
    try {
      temperature = pyFloat(inputs.temperature);
    } catch {
      // invalid pin value: keep the configured temperature
    }
  }
  const params: JsonObject = { temperature };
  let seed = -1;
  try {
    const raw = 'seed' in inputs ? inputs.seed : cfg.seed ?? -1;
    if (raw != null && typeof raw !== 'boolean') seed = pyInt(raw);
  } catch {
    seed = -1;
  }
  if (seed >= 0) params.seed = seed;
  const thinking = normalizeThinking('thinking' in inputs ? inputs.thinking : cfg.thinking);
  if (thinking !== undefined) params.thinking = thinking;
  const maxOut = positiveInt(aliased(inputs, cfg, ['max_out_tokens', 'max_output_tokens', 'maxOutputTokens']));
  if (maxOut) params.max_output_tokens = maxOut;
  const binding = inputs.prompt_cache_binding;
  if (isPlainObject(binding) && Object.keys(binding).length) params.prompt_cache_binding = { ...binding };
  else if (nonBlank(binding)) params.prompt_cache_binding = nonBlank(binding);
  return params;
}

/** Provider or model: a string pin (or its `_text` alias), else the configured value. */
const providerOrModel = (inputs: JsonObject, cfg: JsonObject, key: string): string => {
  for (const k of [key, `${key}_text`]) if (typeof inputs[k] === 'string') return inputs[k];
  return typeof cfg[key] === 'string' ? cfg[key] : '';
};

/** The run's active conversation: system messages first, history limited by `_limits.max_history_messages`. */
export function activeMessages(vars: JsonObject): JsonObject[] {
  const messages = vars.context?.messages;
  if (!Array.isArray(messages)) return [];
  const system = messages.filter((m) => isPlainObject(m) && m.role === 'system');
  const convo = messages.filter((m) => isPlainObject(m) && m.role !== 'system');
  const limit = Number(vars._limits?.max_history_messages ?? -1);
  if (!Number.isInteger(limit) || limit < 0) return [...system, ...convo].map((m) => ({ ...m }));
  return [...system, ...(limit === 0 ? [] : convo.slice(-limit))].map((m) => ({ ...m }));
}

/** `messages` + a system message after the leading system messages + the user prompt. */
function withSystemAndPrompt(messages: JsonObject[], system: any, prompt: string): JsonObject[] {
  const out = [...messages];
  const sys = typeof system === 'string' ? system.trim() : '';
  if (sys) {
    let at = 0;
    while (at < out.length && out[at].role === 'system') at++;
    out.splice(at, 0, { role: 'system', content: sys });
  }
  out.push({ role: 'user', content: prompt });
  return out;
}

/** Attachment list with objects copied and blank strings dropped. */
export const cleanAttachments = (raw: any[]): any[] => raw.flatMap((a): any[] => (isPlainObject(a) ? [{ ...a }] : nonBlank(a) ? [nonBlank(a)] : []));

/** Pending `llm_call` of an `llm_call` node (spec §6.2.1–6.2.2). */
function buildLlmCall(inputs: JsonObject, n: ExecNode, g: FlowGraph): Pending {
  const cfg = n.data.effectConfig ?? {};
  const prompt = inputs.prompt == null ? '' : pyStr(inputs.prompt);
  const system = inputs.system ?? '';
  const incKey = firstKey(inputs, ['include_context', 'use_context']);
  const includeContext = coerceBool(incKey ? inputs[incKey] : cfg.include_context ?? cfg.use_context ?? false);
  const provider = providerOrModel(inputs, cfg, 'provider');
  const model = providerOrModel(inputs, cfg, 'model');
  const pending: Pending = {
    type: 'llm_call',
    prompt,
    system_prompt: system,
    tools: normalizeTools('tools' in inputs ? inputs.tools : cfg.tools, g),
    params: samplingParams(inputs, cfg),
  };
  // Provider and model override the host default only as a pair (spec §6.2.2).
  if (provider && model) Object.assign(pending, { provider, model });
  pending.include_context = includeContext;
  const outKey = firstKey(inputs, ['output', 'outputs']) ?? firstKey(cfg, ['output', 'outputs']);
  if (outKey) pending.output = outKey in inputs ? inputs[outKey] : cfg[outKey];
  const schemaKey = firstKey(inputs, ['resp_schema', 'response_schema']);
  const schema = schemaKey ? normalizeResponseSchema(inputs[schemaKey]) : null;
  if (schema) {
    Object.assign(pending, { response_schema: schema, response_schema_name: 'LLM_StructuredOutput' });
    if (coerceBool(cfg.structured_output_fallback)) pending.structured_output_fallback = true;
  }
  if (!(provider && model)) return pending;
  const maxIn = positiveInt(aliased(inputs, cfg, ['max_in_tokens', 'max_input_tokens', 'maxInputTokens']));
  if (maxIn) pending.max_input_tokens = maxIn;
  const context = isPlainObject(inputs.context) ? inputs.context : {};
  // An explicit empty attachment list means "no media for this call".
  if (Array.isArray(context.attachments)) pending.media = cleanAttachments(context.attachments);
  const pinned = Array.isArray(context.messages) ? context.messages.filter(isPlainObject).map((m: JsonObject) => ({ ...m })) : [];
  if (pinned.length) {
    pending.messages = withSystemAndPrompt(pinned, system, prompt);
    delete pending.prompt;
    delete pending.system_prompt;
  }
  return pending;
}

/** Compiler wrapper (spec §6.2.3): with `include_context`, send the run conversation and its attachments. */
function applyContext(pending: Pending, vars: JsonObject): Pending {
  if (pending.include_context !== true) return pending;
  if (!('messages' in pending)) {
    pending.messages = withSystemAndPrompt(activeMessages(vars), pending.system_prompt, typeof pending.prompt === 'string' ? pending.prompt : '');
    delete pending.prompt;
    delete pending.system_prompt;
  }
  const attachments = vars.context?.attachments;
  if (!('media' in pending) && Array.isArray(attachments) && attachments.length) {
    const media = cleanAttachments(attachments);
    if (media.length) pending.media = media;
  }
  return pending;
}

function llmCallStep(n: ExecNode, s: StepScope): StepPlan {
  return pendingPlan(n, applyContext(buildLlmCall(s.resolveInputs(n), n, s.g), s.vars));
}

/** Media nodes reuse the same wrapper (spec §6.2.3 applies to every llm_call). */
export const llmEffectPlan = (n: ExecNode, s: StepScope, pending: Pending): StepPlan => pendingPlan(n, applyContext(pending, s.vars));

const dictList = (v: any): JsonObject[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);
const isStructured = (v: any): boolean => isPlainObject(v) || Array.isArray(v);
const hasGenerated = (v: any): boolean => isPlainObject(v) && Object.values(v).some((items) => Array.isArray(items) && items.length > 0);

function llmCallOutputs(raw: any, n: GraphNode, g: FlowGraph): JsonObject {
  if (!isPlainObject(raw)) return {};
  const toolCalls = dictList(raw.tool_calls);
  const structured = isStructured(raw.data);
  const response = structured ? JSON.stringify(raw.data) : raw.content == null ? '' : pyStr(raw.content);
  const out: JsonObject = { response, tool_calls: toolCalls, success: true };
  if (structured) out.data = raw.data;
  if (isPlainObject(raw.outputs)) out.outputs = raw.outputs;
  if (isPlainObject(raw.resources)) out.resources = raw.resources;
  const artifact = firstArtifact(raw);
  if (artifact) {
    out.artifact_id = artifact.artifact_id;
    out.artifact_ref = artifact;
  }
  const media = hasGenerated(raw.outputs) || hasGenerated(raw.resources);
  const meta: JsonObject = {
    schema: 'abstractflow.llm_call.v1.meta',
    version: 1,
    output_mode: media ? 'media' : structured ? 'structured' : 'unstructured',
    tool_calls: toolCalls.length,
  };
  for (const key of ['provider', 'model', 'finish_reason']) if (nonBlank(raw[key])) meta[key] = raw[key].trim();
  if (isPlainObject(raw.usage)) meta.usage = { ...raw.usage };
  const traceId = nonBlank(raw.trace_id) || nonBlank(raw.metadata?.trace_id);
  if (traceId) meta.trace = { trace_id: traceId };
  for (const key of ['gen_time', 'ttft_ms']) if (raw[key] != null && typeof raw[key] !== 'boolean') meta[key] = raw[key];
  out.meta = meta;
  // Legacy pins exist only when a data edge reads them.
  const wired = (pin: string) => g.referencedPins.has(pinRef(n.id, pin));
  for (const pin of ['result', 'raw']) if (wired(pin)) out[pin] = raw;
  for (const pin of ['gen_time', 'ttft_ms']) if (wired(pin)) out[pin] = raw[pin] ?? null;
  return out;
}

export const LLM_NODES: NodeDefinition[] = [
  { type: 'llm_call', kind: 'effect', effect: 'llm_call', step: llmCallStep, outputs: llmCallOutputs },
];
