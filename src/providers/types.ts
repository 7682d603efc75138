// The one interface every LLM provider implements (spec runtime-visualflow §7.3). Callers — the
// llm_call and agent effects, discovery — build a ChatRequest in the neutral shape below and get a
// ChatResult back; each provider file translates to and from its own wire protocol. Nothing here
// knows about runs, nodes or the ledger: mapping a ChatResult onto an LlmCallResult (§3.5.2) is the
// effect's job.

import type { ProviderFamily } from '../config/providers.js';
import type { JsonObject } from '../model/run.js';

export interface ToolCall {
  /** The provider's call id (generated when the protocol has none, e.g. Ollama). */
  id: string;
  name: string;
  /** Parsed arguments; `{}` when the model sent something that is not a JSON object. */
  arguments: JsonObject;
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  /** The output of one tool call, answering `tool_call_id`. */
  | { role: 'tool'; content: string; tool_call_id: string; name?: string };

/** A tool offered natively to the model; `parameters` is a JSON Schema object (§7.3 "ToolSpec → JSON Schema"). */
export interface ToolDefinition {
  name: string;
  description?: string;
  parameters: JsonObject;
}

/** `auto` (default when tools are given), `none`, `required` (some tool), or one named tool. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** Structured output: the answer must be JSON matching `schema`. */
export interface ResponseSchema {
  name: string;
  schema: JsonObject;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  tool_choice?: ToolChoice;
  response_schema?: ResponseSchema;
  temperature?: number;
  max_output_tokens?: number;
  /** Sent only when given (callers drop the flows' "-1 = random"). Anthropic has no seed. */
  seed?: number;
  /** Receives each partial text delta as it arrives; giving it turns streaming on. */
  onDelta?: (text: string) => void;
  /** Aborting it (run cancelled) closes the HTTP request; the call rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  /** OpenAI names of the same counts, kept because flows and clients read both (§3.5.2). */
  prompt_tokens: number;
  completion_tokens: number;
}

export interface ChatResult {
  /** Assistant text; with a response_schema, the JSON text of the answer. */
  content: string | null;
  reasoning: string | null;
  tool_calls: ToolCall[];
  usage: Usage | null;
  /** Normalised: `stop`, `length` (truncated), `tool_calls`, or the provider's own value. */
  finish_reason: string | null;
  /** Registry name of the provider that answered (`lmstudio`, not the family). */
  provider: string;
  /** The model the provider reports having used (else the requested one). */
  model: string;
  /** The provider's final response body (non-streaming calls only). */
  raw?: unknown;
}

export interface ListModelsOptions {
  signal?: AbortSignal;
  /** Overrides the request timeout (discovery uses its own, spec discovery §2.6). */
  timeoutMs?: number;
}

/** What discovery may show about a provider: never its key. */
export interface ProviderInfo {
  name: string;
  family: ProviderFamily;
  base_url: string;
  base_url_configured: boolean;
  api_key_set: boolean;
  authentication_required: boolean;
}

export interface LlmProvider {
  /** Lower-case id that flows and clients name (`openai`, `lmstudio`, `ollama`, …). */
  readonly name: string;
  readonly family: ProviderFamily;
  chat(request: ChatRequest): Promise<ChatResult>;
  /** Model ids served right now, read live from the endpoint. */
  listModels(options?: ListModelsOptions): Promise<string[]>;
  info(): ProviderInfo;
}

export function usageOf(input: number | undefined, output: number | undefined): Usage | null {
  if (input === undefined && output === undefined) return null;
  const i = input ?? 0;
  const o = output ?? 0;
  return { input_tokens: i, output_tokens: o, total_tokens: i + o, prompt_tokens: i, completion_tokens: o };
}

/** Tool arguments arrive as JSON text (OpenAI, Anthropic streams) or objects (Ollama). */
export function parseArguments(value: unknown): JsonObject {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = v.trim() ? JSON.parse(v) : {};
    } catch {
      return {};
    }
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : {};
}
