// The `llm_call` effect (spec runtime-visualflow §3.5.2): an outside-world effect, so its started
// record commits before the request and a crash re-runs it under the same idempotency key (the
// tick reuses a completed result instead of asking again). Provider and model come from the
// node, the run's `_runtime`, then the host defaults (§7.1) — never from a built-in fallback.

import { parseJsonLenient } from '../../flow/nodes/json.js';
import { isPlainObject } from '../../model/json.js';
import type { JsonObject } from '../../model/run.js';
import type { ModelChoice, ModelRef } from '../../providers/resolve.js';
import type { ChatRequest, ChatResult, LlmProvider } from '../../providers/types.js';
import type { LiveDelta } from '../live.js';
import { generateMedia, mediaRequest, type MediaServices } from './llm-media.js';
import { chatRequest, DEFAULT_OUTPUT_TOKENS, hasInput, outputCap, userText } from './llm-request.js';
import type { EffectCall, EffectHandler } from './types.js';

/** What the handler needs from the composition root. */
export interface LlmServices extends MediaServices {
  /** Provider/model resolution and connections (the provider registry). */
  providers: MediaServices['providers'] & {
    resolveModel(dataDir: string, call: { node?: ModelRef; run?: ModelRef }): Promise<ModelChoice>;
    connect(name: string, o?: { base_url?: string; api_key?: string }): LlmProvider;
  };
  /** Receives streamed text for live clients (not stored). */
  onDelta?: (delta: LiveDelta) => void;
}

const TRUNCATED = new Set(['length', 'max_tokens', 'max_output_tokens']);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export function llmCallHandler(services: LlmServices): EffectHandler {
  return {
    mode: 'external',
    async run(call, signal) {
      try {
        return { status: 'completed', result: await llmCall(services, call, signal) };
      } catch (e) {
        if (signal.aborted) throw e; // lease lost or run cancelled: the tick decides what follows
        return { status: 'failed', error: e instanceof Error ? e.message : String(e) };
      }
    },
  };
}

async function llmCall(services: LlmServices, call: EffectCall, signal: AbortSignal): Promise<JsonObject> {
  const payload = call.effect.payload;
  const vars = call.run.vars;
  const media = mediaRequest(payload);
  if (media) return generateMedia(services, call, media, signal);
  if (!hasInput(payload)) throw new Error('llm_call requires a prompt, messages or text');
  const runtime = isPlainObject(vars._runtime) ? vars._runtime : {};
  const choice = await services.providers.resolveModel(services.dataDir, {
    node: { provider: payload.provider, model: payload.model },
    run: { provider: runtime.provider, model: runtime.model },
  });
  const provider = services.providers.connect(choice.provider, { base_url: text(payload.base_url), api_key: text(payload.provider_api_key) });
  const base = chatRequest(payload, vars);
  const started = performance.now();
  let firstToken: number | undefined;
  const request: ChatRequest = {
    ...base,
    model: choice.model,
    signal,
    onDelta: (delta) => {
      firstToken ??= performance.now();
      services.onDelta?.({ run_id: call.run.run_id, node_id: call.node_id, idempotency_key: call.idempotency_key, delta });
    },
  };

  let result = await untilNotTruncated(provider, request, payload, vars);
  let data: unknown;
  if (request.response_schema) {
    data = structured(result.content);
    if (data === undefined && payload.structured_output_fallback === true) {
      // One retry without the schema: some models answer better in free text, parsed leniently.
      result = await untilNotTruncated(provider, { ...request, response_schema: undefined }, payload, vars);
      data = structured(result.content);
    }
    if (data === undefined) throw new Error(`LLM_CALL structured output is not valid JSON (schema ${request.response_schema.name})`);
  }
  const out: JsonObject = {
    content: result.content,
    reasoning: result.reasoning,
    tool_calls: result.tool_calls.length ? result.tool_calls.map((c) => ({ name: c.name, arguments: c.arguments, call_id: c.id })) : null,
    usage: result.usage,
    provider: result.provider,
    model: result.model,
    finish_reason: result.finish_reason,
    gen_time: Math.round(performance.now() - started),
    ttft_ms: firstToken === undefined ? null : Math.round(firstToken - started),
  };
  if (data !== undefined) out.data = data;
  if (payload.include_context === true || payload.use_context === true) appendTurn(vars, call.node_id, userText(payload), out);
  return out;
}

/**
 * A truncated answer (finish_reason length) is asked again with a larger budget, up to 3 times,
 * unless the payload allows truncation (§3.5.2); still truncated → the call fails.
 */
async function untilNotTruncated(provider: LlmProvider, request: ChatRequest, payload: JsonObject, vars: JsonObject): Promise<ChatResult> {
  const attempts = Number.isInteger(payload.max_truncation_attempts) && payload.max_truncation_attempts >= 0 ? payload.max_truncation_attempts : 3;
  const cap = outputCap(payload, isPlainObject(vars._limits) ? vars._limits : {});
  let current = request;
  for (let retry = 0; ; retry++) {
    const result = await provider.chat(current);
    if (!TRUNCATED.has(result.finish_reason ?? '') || payload.allow_truncation === true || payload.retry_on_truncation === false) return result;
    const budget = current.max_output_tokens ?? DEFAULT_OUTPUT_TOKENS;
    if (retry >= attempts || budget >= cap) {
      throw new Error(`LLM_CALL output was truncated (finish_reason=${result.finish_reason}) at max_output_tokens=${budget} after ${retry} retries; raise max_output_tokens or set allow_truncation`);
    }
    current = { ...current, max_output_tokens: Math.min(Math.max(2 * budget, budget + 500), cap) };
  }
}

/** Structured answer by the parse_json rules; a scalar becomes `{value}`; undefined when not JSON. */
function structured(content: string | null): unknown {
  if (!content?.trim()) return undefined;
  try {
    const v = parseJsonLenient(content);
    return isPlainObject(v) || Array.isArray(v) ? v : { value: v };
  } catch {
    return undefined;
  }
}

/** With include_context, successive LLM nodes see each other's turns (§3.5.2 "Context persistence"). */
function appendTurn(vars: JsonObject, nodeId: string, user: string, out: JsonObject): void {
  if (!isPlainObject(vars.context)) vars.context = {};
  if (!Array.isArray(vars.context.messages)) vars.context.messages = [];
  const answer = out.data !== undefined ? JSON.stringify(out.data, null, 2) : out.content ?? '';
  vars.context.messages.push(
    { role: 'user', content: user, metadata: { kind: 'llm_turn', node_id: nodeId } },
    { role: 'assistant', content: answer, metadata: { kind: 'llm_turn', node_id: nodeId } },
  );
}
