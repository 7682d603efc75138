// From an `llm_call` effect payload (spec runtime-visualflow §3.5.2, §7.3) to the provider-neutral
// ChatRequest: the message list, native tool schemas, sampling parameters, the output budget and
// input trimming. Pure functions: the handler (llm-call.ts) adds the provider, streaming and abort.

import { isPlainObject } from '../../model/json.js';
import type { JsonObject } from '../../model/run.js';
import type { ChatMessage, ChatRequest, ToolDefinition } from '../../providers/types.js';

/** Output budget when nothing sets one (spec §3.5.2: "cur defaults to the limit or 2048"). */
export const DEFAULT_OUTPUT_TOKENS = 2048;

const text = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function positiveInt(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The user text of a call: `prompt`, else `text`, else the last user message (for context turns). */
export function userText(payload: JsonObject): string {
  if (typeof payload.prompt === 'string' && payload.prompt.trim()) return payload.prompt;
  if (typeof payload.text === 'string' && payload.text.trim()) return payload.text;
  const messages = Array.isArray(payload.messages) ? payload.messages : [];
  const last = [...messages].reverse().find((m) => isPlainObject(m) && m.role === 'user');
  return last ? text(last.content) : '';
}

/** True when the payload asks for something to generate from. */
export function hasInput(payload: JsonObject): boolean {
  if (Array.isArray(payload.messages) && payload.messages.some(isPlainObject)) return true;
  return [payload.prompt, payload.text].some((v) => typeof v === 'string' && v.trim() !== '');
}

/**
 * Messages per §7.3: leading system messages merge into one system prompt (after `system_prompt`,
 * joined by a blank line); internal "Recent tool activity" notes are dropped; `prompt` (or `text`)
 * becomes the last user message. Tool results travel as user text (the flows' history carries no
 * provider tool-call ids to answer).
 */
export function buildMessages(payload: JsonObject): ChatMessage[] {
  const system: string[] = [];
  if (typeof payload.system_prompt === 'string' && payload.system_prompt.trim()) system.push(payload.system_prompt.trim());
  const rest: ChatMessage[] = [];
  const list = Array.isArray(payload.messages) ? payload.messages.filter(isPlainObject) : [];
  for (const m of list) {
    const content = text(m.content);
    if (m.role === 'system') {
      if (content.startsWith('Recent tool activity')) continue;
      if (rest.length === 0) system.push(content);
      else rest.push({ role: 'user', content: `[system]: ${content}` });
    } else if (m.role === 'assistant') rest.push({ role: 'assistant', content });
    else if (m.role === 'tool') rest.push({ role: 'user', content: `[tool${m.name ? ` ${text(m.name)}` : ''}]: ${content}` });
    else rest.push({ role: 'user', content });
  }
  const prompt = typeof payload.prompt === 'string' && payload.prompt.trim() ? payload.prompt : typeof payload.text === 'string' ? payload.text : '';
  if (prompt.trim()) rest.push({ role: 'user', content: prompt });
  return [...(system.length ? [{ role: 'system' as const, content: system.join('\n\n') }] : []), ...rest];
}

/** Rough token estimate (4 characters a token): enough to keep a history under a budget. */
export const estimateTokens = (messages: ChatMessage[]): number => Math.ceil(messages.reduce((n, m) => n + (m.content?.length ?? 0) + 4, 0) / 4);

/** Drop the oldest non-system messages (never the last one) until the estimate fits `maxInput`. */
export function trimToBudget(messages: ChatMessage[], maxInput: number | undefined): ChatMessage[] {
  if (!maxInput) return messages;
  const out = [...messages];
  while (estimateTokens(out) > maxInput) {
    const oldest = out.findIndex((m, i) => m.role !== 'system' && i < out.length - 1);
    if (oldest < 0) break;
    out.splice(oldest, 1);
  }
  return out;
}

/**
 * A ToolSpec's `parameters` is a property map `{arg: {type, description?, default?}}`; required
 * args are those without a default (§7.3). A spec that already carries a JSON Schema object is kept.
 */
export function toolDefinition(spec: JsonObject): ToolDefinition | undefined {
  const name = typeof spec.name === 'string' ? spec.name.trim() : '';
  if (!name) return undefined;
  const params = isPlainObject(spec.parameters) ? spec.parameters : {};
  let schema: JsonObject;
  // A property map never has the string "object" at `type` (that would be an argument's spec).
  if (params.type === 'object') schema = params;
  else {
    const properties: JsonObject = {};
    const required: string[] = [];
    for (const [arg, def] of Object.entries(params)) {
      const { default: _default, ...rest } = isPlainObject(def) ? def : { type: 'string' };
      properties[arg] = rest;
      if (!(isPlainObject(def) && 'default' in def)) required.push(arg);
    }
    // Specs that list their required args (the built-in tools do) are taken at their word.
    const listed = Array.isArray(spec.required_args) ? spec.required_args.filter((a: unknown) => typeof a === 'string' && a in properties) : null;
    schema = { type: 'object', properties, required: listed ?? required };
  }
  return { name, ...(typeof spec.description === 'string' ? { description: spec.description } : {}), parameters: schema };
}

/** Output budget: params → payload → the run's `_limits`. */
export function outputBudget(payload: JsonObject, limits: JsonObject): number | undefined {
  const params = isPlainObject(payload.params) ? payload.params : {};
  return (
    positiveInt(params.max_output_tokens) ??
    positiveInt(params.max_tokens) ??
    positiveInt(payload.max_output_tokens) ??
    positiveInt(payload.max_out_tokens) ??
    positiveInt(limits.max_output_tokens)
  );
}

/** Largest budget a truncation retry may ask for. */
export function outputCap(payload: JsonObject, limits: JsonObject): number {
  return positiveInt(payload.max_output_tokens_cap) ?? positiveInt(limits.max_output_tokens_cap) ?? 1_000_000;
}

/** The neutral request for a payload, without model, streaming or abort. */
export function chatRequest(payload: JsonObject, vars: JsonObject): Omit<ChatRequest, 'model'> {
  const limits = isPlainObject(vars._limits) ? vars._limits : {};
  const params = isPlainObject(payload.params) ? payload.params : {};
  const trimming = vars._runtime?.disable_input_trimming !== true;
  const maxInput = trimming ? positiveInt(payload.max_input_tokens) ?? positiveInt(limits.max_input_tokens) : undefined;
  const request: Omit<ChatRequest, 'model'> = { messages: trimToBudget(buildMessages(payload), Array.isArray(payload.messages) ? maxInput : undefined) };
  const tools = (Array.isArray(payload.tools) ? payload.tools : []).filter(isPlainObject).flatMap((t) => toolDefinition(t) ?? []);
  if (tools.length) request.tools = tools;
  if (typeof params.temperature === 'number' && Number.isFinite(params.temperature)) request.temperature = params.temperature;
  const seed = Number(params.seed);
  if (params.seed != null && Number.isInteger(seed) && seed >= 0) request.seed = seed;
  const budget = outputBudget(payload, limits);
  if (budget) request.max_output_tokens = budget;
  if (isPlainObject(payload.response_schema) && Object.keys(payload.response_schema).length) {
    const name = typeof payload.response_schema_name === 'string' && payload.response_schema_name.trim() ? payload.response_schema_name.trim() : 'LLM_StructuredOutput';
    request.response_schema = { name, schema: payload.response_schema };
  }
  return request;
}
