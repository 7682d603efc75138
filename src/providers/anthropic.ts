// Anthropic Messages (spec runtime-visualflow §7.3): POST {base}/v1/messages with `x-api-key` and
// `anthropic-version`, streamed as SSE (message_start, content_block_*, message_delta); GET
// {base}/v1/models for discovery. System messages become the `system` field; tool calls and tool
// results travel natively as tool_use / tool_result blocks. Structured output has no native
// response_format here, so the schema is offered as one forced tool whose input is the answer.

import type { JsonObject } from '../model/run.js';
import { BaseProvider, modelIds } from './base.js';
import { parseArguments, usageOf, type ChatMessage, type ChatRequest, type ChatResult, type ListModelsOptions, type ToolCall } from './types.js';

const API_VERSION = '2023-06-01';
/** Anthropic requires max_tokens; this is the protocol's budget when the caller sets none. */
const DEFAULT_MAX_TOKENS = 4096;

const STOP_REASONS: Record<string, string> = { end_turn: 'stop', stop_sequence: 'stop', max_tokens: 'length', tool_use: 'tool_calls' };

function blocks(m: ChatMessage): JsonObject[] {
  if (m.role === 'tool') return [{ type: 'tool_result', tool_use_id: m.tool_call_id, content: m.content }];
  const out: JsonObject[] = m.content ? [{ type: 'text', text: m.content }] : [];
  if (m.role === 'assistant') for (const c of m.tool_calls ?? []) out.push({ type: 'tool_use', id: c.id, name: c.name, input: c.arguments });
  return out;
}

/** System text apart; the rest as alternating user/assistant turns (consecutive same roles merged). */
function wireMessages(messages: ChatMessage[]): { system: string; messages: JsonObject[] } {
  const system: string[] = [];
  const turns: { role: string; content: JsonObject[] }[] = [];
  for (const m of messages) {
    if (m.role === 'system') {
      if (m.content.trim()) system.push(m.content);
      continue;
    }
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const content = blocks(m);
    if (content.length === 0) continue;
    const last = turns[turns.length - 1];
    if (last?.role === role) last.content.push(...content);
    else turns.push({ role, content });
  }
  return { system: system.join('\n\n'), messages: turns };
}

export function anthropicBody(r: ChatRequest, stream: boolean): JsonObject {
  const { system, messages } = wireMessages(r.messages);
  const body: JsonObject = { model: r.model, max_tokens: r.max_output_tokens ?? DEFAULT_MAX_TOKENS, messages, stream };
  if (system) body.system = system;
  if (r.temperature !== undefined) body.temperature = r.temperature;
  const tools: JsonObject[] = (r.tools ?? []).map((t) => ({ name: t.name, description: t.description ?? '', input_schema: t.parameters }));
  if (r.response_schema) {
    tools.push({ name: r.response_schema.name, description: 'Reply by calling this tool with the answer as its input.', input_schema: r.response_schema.schema });
    body.tool_choice = { type: 'tool', name: r.response_schema.name };
  } else if (tools.length) {
    const c = r.tool_choice ?? 'auto';
    body.tool_choice = typeof c === 'object' ? { type: 'tool', name: c.name } : { type: c === 'required' ? 'any' : c };
  }
  if (tools.length) body.tools = tools;
  return body;
}

interface Accumulated {
  text: string[];
  thinking: string[];
  calls: ToolCall[];
  stop: string | null;
}

/** Apply the response-schema convention: the forced tool's input is the answer's JSON text. */
function result(r: ChatRequest, a: Accumulated, provider: string, model: string, usage: ChatResult['usage'], raw?: unknown): ChatResult {
  const schemaName = r.response_schema?.name;
  const answer = schemaName ? a.calls.find((c) => c.name === schemaName) : undefined;
  const calls = schemaName ? a.calls.filter((c) => c.name !== schemaName) : a.calls;
  const text = a.text.join('');
  return {
    content: answer ? JSON.stringify(answer.arguments) : text || (a.calls.length ? null : ''),
    reasoning: a.thinking.length ? a.thinking.join('') : null,
    tool_calls: calls,
    usage,
    finish_reason: answer ? 'stop' : a.stop ? (STOP_REASONS[a.stop] ?? a.stop) : null,
    provider,
    model,
    raw,
  };
}

export class AnthropicProvider extends BaseProvider {
  protected authHeaders(apiKey: string | undefined): Record<string, string> {
    return { 'anthropic-version': API_VERSION, ...(apiKey ? { 'x-api-key': apiKey } : {}) };
  }

  /** ANTHROPIC_BASE_URL is the host root; accept one given with a trailing /v1 as well. */
  private get root(): string {
    return this.http.baseUrl.endsWith('/v1') ? '' : '/v1';
  }

  async chat(r: ChatRequest): Promise<ChatResult> {
    if (r.onDelta) return this.streamChat(r, r.onDelta);
    const raw = await this.http.json(`${this.root}/messages`, anthropicBody(r, false), { signal: r.signal });
    const a: Accumulated = { text: [], thinking: [], calls: [], stop: raw?.stop_reason ?? null };
    for (const b of Array.isArray(raw?.content) ? raw.content : []) {
      if (b?.type === 'text') a.text.push(String(b.text ?? ''));
      else if (b?.type === 'thinking') a.thinking.push(String(b.thinking ?? ''));
      else if (b?.type === 'tool_use') a.calls.push({ id: String(b.id), name: String(b.name), arguments: parseArguments(b.input) });
    }
    return result(r, a, this.name, raw?.model ?? r.model, usageOf(raw?.usage?.input_tokens, raw?.usage?.output_tokens), raw);
  }

  private async streamChat(r: ChatRequest, onDelta: (text: string) => void): Promise<ChatResult> {
    const a: Accumulated = { text: [], thinking: [], calls: [], stop: null };
    const toolJson = new Map<number, { call: ToolCall; json: string }>();
    let model = r.model;
    let input: number | undefined;
    let output: number | undefined;
    await this.http.sse(`${this.root}/messages`, anthropicBody(r, true), { signal: r.signal }, ({ data }) => {
      const e = JSON.parse(data);
      switch (e.type) {
        case 'message_start':
          model = e.message?.model ?? model;
          input = e.message?.usage?.input_tokens;
          output = e.message?.usage?.output_tokens;
          break;
        case 'content_block_start':
          if (e.content_block?.type === 'tool_use') {
            const call = { id: String(e.content_block.id), name: String(e.content_block.name), arguments: {} };
            a.calls.push(call);
            toolJson.set(e.index, { call, json: '' });
          }
          break;
        case 'content_block_delta':
          if (e.delta?.type === 'text_delta') {
            a.text.push(e.delta.text);
            // A forced response-schema tool streams JSON, not text: only real text goes live.
            onDelta(e.delta.text);
          } else if (e.delta?.type === 'thinking_delta') a.thinking.push(e.delta.thinking);
          else if (e.delta?.type === 'input_json_delta') {
            const slot = toolJson.get(e.index);
            if (slot) slot.json += e.delta.partial_json;
          }
          break;
        case 'content_block_stop': {
          const slot = toolJson.get(e.index);
          if (slot) slot.call.arguments = parseArguments(slot.json);
          break;
        }
        case 'message_delta':
          a.stop = e.delta?.stop_reason ?? a.stop;
          output = e.usage?.output_tokens ?? output;
          input = e.usage?.input_tokens ?? input;
          break;
        case 'error':
          throw new Error(e.error?.message ?? 'stream error');
      }
    });
    return result(r, a, this.name, model, usageOf(input, output));
  }

  async listModels(o: ListModelsOptions = {}): Promise<string[]> {
    const raw = await this.http.json(`${this.root}/models?limit=1000`, undefined, o);
    return modelIds((Array.isArray(raw?.data) ? raw.data : []).map((m: any) => m?.id));
  }
}
