// Ollama's native API (spec runtime-visualflow §7.3): POST {base}/api/chat, streamed as one JSON
// object per line; GET {base}/api/tags for discovery. Ollama has no tool-call ids, so they are
// generated; its tool-call arguments are already objects. Hand-written rather than the `ollama`
// package, whose abort() cancels every request of a client instead of the one a run owns.

import { randomBytes } from 'node:crypto';
import { GatewayError } from '../errors.js';
import type { JsonObject } from '../model/run.js';
import { BaseProvider, modelIds } from './base.js';
import { parseArguments, usageOf, type ChatMessage, type ChatRequest, type ChatResult, type ListModelsOptions, type ToolCall } from './types.js';

function wireMessage(m: ChatMessage): JsonObject {
  if (m.role === 'assistant') {
    const out: JsonObject = { role: 'assistant', content: m.content ?? '' };
    if (m.tool_calls?.length) out.tool_calls = m.tool_calls.map((c) => ({ function: { name: c.name, arguments: c.arguments } }));
    return out;
  }
  if (m.role === 'tool') return { role: 'tool', content: m.content, ...(m.name ? { tool_name: m.name } : {}) };
  return { role: m.role, content: m.content };
}

export function ollamaBody(r: ChatRequest, stream: boolean): JsonObject {
  const options: JsonObject = {};
  if (r.temperature !== undefined) options.temperature = r.temperature;
  if (r.seed !== undefined) options.seed = r.seed;
  if (r.max_output_tokens !== undefined) options.num_predict = r.max_output_tokens;
  const body: JsonObject = { model: r.model, messages: r.messages.map(wireMessage), stream, options };
  // Ollama has no tool_choice: `none` is honoured by not offering the tools.
  if (r.tools?.length && r.tool_choice !== 'none') {
    body.tools = r.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description ?? '', parameters: t.parameters } }));
  }
  if (r.response_schema) body.format = r.response_schema.schema;
  return body;
}

const callId = () => `call_${randomBytes(8).toString('hex')}`;

function toolCalls(message: any): ToolCall[] {
  return (Array.isArray(message?.tool_calls) ? message.tool_calls : []).map((c: any) => ({
    id: typeof c?.id === 'string' && c.id ? c.id : callId(),
    name: String(c?.function?.name ?? ''),
    arguments: parseArguments(c?.function?.arguments),
  }));
}

function finish(doneReason: unknown, calls: ToolCall[]): string | null {
  if (calls.length) return 'tool_calls';
  return typeof doneReason === 'string' && doneReason ? doneReason : null;
}

export class OllamaProvider extends BaseProvider {
  protected authHeaders(): Record<string, string> {
    return {};
  }

  async chat(r: ChatRequest): Promise<ChatResult> {
    if (r.onDelta) return this.streamChat(r, r.onDelta);
    const raw = await this.http.json('/api/chat', ollamaBody(r, false), { signal: r.signal });
    if (typeof raw?.error === 'string') throw new GatewayError('GW_ERR_UPSTREAM', `${this.name}: ${raw.error}`);
    const calls = toolCalls(raw?.message);
    return {
      content: typeof raw?.message?.content === 'string' ? raw.message.content : null,
      reasoning: typeof raw?.message?.thinking === 'string' ? raw.message.thinking : null,
      tool_calls: calls,
      usage: usageOf(raw?.prompt_eval_count, raw?.eval_count),
      finish_reason: finish(raw?.done_reason, calls),
      provider: this.name,
      model: raw?.model ?? r.model,
      raw,
    };
  }

  private async streamChat(r: ChatRequest, onDelta: (text: string) => void): Promise<ChatResult> {
    let content = '';
    let thinking = '';
    const calls: ToolCall[] = [];
    let last: any = {};
    await this.http.ndjson('/api/chat', ollamaBody(r, true), { signal: r.signal }, (v) => {
      if (typeof v?.error === 'string') throw new Error(v.error);
      const piece = v?.message?.content;
      if (typeof piece === 'string' && piece) {
        content += piece;
        onDelta(piece);
      }
      if (typeof v?.message?.thinking === 'string') thinking += v.message.thinking;
      calls.push(...toolCalls(v?.message));
      if (v?.done) last = v;
    });
    return {
      content,
      reasoning: thinking || null,
      tool_calls: calls,
      usage: usageOf(last.prompt_eval_count, last.eval_count),
      finish_reason: finish(last.done_reason, calls),
      provider: this.name,
      model: last.model ?? r.model,
    };
  }

  async listModels(o: ListModelsOptions = {}): Promise<string[]> {
    const raw = await this.http.json('/api/tags', undefined, o);
    return modelIds((Array.isArray(raw?.models) ? raw.models : []).map((m: any) => m?.name ?? m?.model));
  }
}
