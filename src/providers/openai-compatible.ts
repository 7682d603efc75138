// OpenAI Chat Completions (spec runtime-visualflow §7.3): OpenAI, OpenRouter, LM Studio, vLLM and
// any OpenAI-compatible server. POST {base}/chat/completions, streamed as SSE `data:` chunks ending
// with `[DONE]`; GET {base}/models for discovery.

import type { JsonObject } from '../model/run.js';
import { BaseProvider, modelIds } from './base.js';
import { parseArguments, usageOf, type ChatMessage, type ChatRequest, type ChatResult, type ListModelsOptions, type ToolCall } from './types.js';

function wireMessage(m: ChatMessage): JsonObject {
  if (m.role === 'assistant' && m.tool_calls?.length) {
    return {
      role: 'assistant',
      content: m.content,
      tool_calls: m.tool_calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } })),
    };
  }
  if (m.role === 'tool') return { role: 'tool', tool_call_id: m.tool_call_id, content: m.content };
  return { role: m.role, content: m.content };
}

export function openAiBody(r: ChatRequest, stream: boolean): JsonObject {
  const body: JsonObject = { model: r.model, messages: r.messages.map(wireMessage), stream };
  if (stream) body.stream_options = { include_usage: true };
  if (r.temperature !== undefined) body.temperature = r.temperature;
  if (r.max_output_tokens !== undefined) body.max_tokens = r.max_output_tokens;
  if (r.seed !== undefined) body.seed = r.seed;
  if (r.tools?.length) {
    body.tools = r.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description ?? '', parameters: t.parameters } }));
    const c = r.tool_choice ?? 'auto';
    body.tool_choice = typeof c === 'string' ? c : { type: 'function', function: { name: c.name } };
  }
  if (r.response_schema) body.response_format = { type: 'json_schema', json_schema: { name: r.response_schema.name, schema: r.response_schema.schema } };
  return body;
}

const textOrNull = (v: unknown) => (typeof v === 'string' ? v : null);

export class OpenAiCompatibleProvider extends BaseProvider {
  protected authHeaders(apiKey: string | undefined): Record<string, string> {
    return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  }

  async chat(r: ChatRequest): Promise<ChatResult> {
    if (r.onDelta) return this.streamChat(r, r.onDelta);
    const raw = await this.http.json('/chat/completions', openAiBody(r, false), { signal: r.signal });
    const choice = raw?.choices?.[0] ?? {};
    const msg = choice.message ?? {};
    const calls: ToolCall[] = (Array.isArray(msg.tool_calls) ? msg.tool_calls : []).map((c: any, i: number) => ({
      id: String(c?.id ?? `call_${i + 1}`),
      name: String(c?.function?.name ?? ''),
      arguments: parseArguments(c?.function?.arguments),
    }));
    return {
      content: textOrNull(msg.content),
      reasoning: textOrNull(msg.reasoning_content ?? msg.reasoning),
      tool_calls: calls,
      usage: usageOf(raw?.usage?.prompt_tokens, raw?.usage?.completion_tokens),
      finish_reason: textOrNull(choice.finish_reason),
      provider: this.name,
      model: textOrNull(raw?.model) ?? r.model,
      raw,
    };
  }

  private async streamChat(r: ChatRequest, onDelta: (text: string) => void): Promise<ChatResult> {
    let content: string | null = null;
    let reasoning: string | null = null;
    let finish: string | null = null;
    let model: string | null = null;
    let usage: ChatResult['usage'] = null;
    // Tool calls arrive in pieces keyed by index: the id and name first, the arguments as text fragments.
    const calls: { id: string; name: string; args: string }[] = [];
    await this.http.sse('/chat/completions', openAiBody(r, true), { signal: r.signal }, ({ data }) => {
      if (data === '[DONE]') return;
      const chunk = JSON.parse(data);
      model ??= textOrNull(chunk.model);
      if (chunk.usage) usage = usageOf(chunk.usage.prompt_tokens, chunk.usage.completion_tokens);
      const choice = chunk.choices?.[0];
      if (!choice) return;
      const d = choice.delta ?? {};
      if (typeof d.content === 'string' && d.content) {
        content = (content ?? '') + d.content;
        onDelta(d.content);
      }
      const think = d.reasoning_content ?? d.reasoning;
      if (typeof think === 'string') reasoning = (reasoning ?? '') + think;
      for (const tc of Array.isArray(d.tool_calls) ? d.tool_calls : []) {
        const slot = (calls[tc.index ?? calls.length] ??= { id: '', name: '', args: '' });
        if (tc.id) slot.id = tc.id;
        if (tc.function?.name) slot.name += tc.function.name;
        if (tc.function?.arguments) slot.args += tc.function.arguments;
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    });
    return {
      content,
      reasoning,
      tool_calls: calls.filter(Boolean).map((c, i) => ({ id: c.id || `call_${i + 1}`, name: c.name, arguments: parseArguments(c.args) })),
      usage,
      finish_reason: finish,
      provider: this.name,
      model: model ?? r.model,
    };
  }

  async listModels(o: ListModelsOptions = {}): Promise<string[]> {
    const raw = await this.http.json('/models', undefined, o);
    return modelIds((Array.isArray(raw?.data) ? raw.data : []).map((m: any) => m?.id));
  }
}
