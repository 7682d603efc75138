// The ReAct child workflow an `agent` node runs as a durable sub-run (spec runtime-visualflow
// §6.1.4). A native workflow, not a VisualFlow document: each node below is one step over the
// child's vars; LLM calls, tool calls and user questions are ordinary effects, so the child's
// ledger shows reason → act → observe like any run, and tool approvals are ordinary waits.
//
// Not implemented (documented in docs/engine.md): plan and review modes, memory built-ins
// (recall_memory, inspect_vars, remember, compact_memory — blocked with a tool error).

import { createHash } from 'node:crypto';
import { isPlainObject } from '../../model/json.js';
import type { Effect, JsonObject, RunState, StepPlan } from '../../model/run.js';
import type { ToolSpecTable } from '../engine/graph.js';
import type { CompiledWorkflow, StepContext } from '../types.js';
import { FABRICATION_NOTE, finalizePrompt, reactSystemPrompt, reactUserPrompt } from './prompts.js';

/** Schema-only tools the runtime answers itself (only `ask_user` is available here). */
const ASK_USER_SPEC = {
  name: 'ask_user',
  description: 'Ask the user a question and wait for the answer.',
  parameters: { question: { type: 'string', description: 'The question' }, choices: { type: 'array', items: { type: 'string' }, default: [] } },
};
const MEMORY_BUILTINS = new Set(['recall_memory', 'inspect_vars', 'remember', 'compact_memory']);
const WRITE_TOOLS = new Set(['write_file', 'edit_file']);
const MAX_CORRECTIONS = 2;
const FINAL_OBSERVATIONS = 6;

const NODES = ['init', 'reason', 'parse', 'act', 'observe', 'handle_user_response', 'finalize', 'finalize_parse', 'done', 'max_iterations'] as const;
type NodeName = (typeof NODES)[number];

/** The child's working state, all in vars (a crash between steps replays from the checkpoint). */
interface ReactVars {
  context: { task?: string; messages: JsonObject[] };
  scratchpad: { iteration: number; max_iterations?: number };
  _runtime: JsonObject;
  _limits: JsonObject;
  _temp: JsonObject;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : JSON.stringify(v));

function state(run: RunState): ReactVars {
  const v = run.vars;
  if (!isPlainObject(v.context)) v.context = {};
  if (!Array.isArray(v.context.messages)) v.context.messages = [];
  if (!isPlainObject(v.scratchpad)) v.scratchpad = { iteration: 0 };
  for (const k of ['_runtime', '_limits', '_temp']) if (!isPlainObject(v[k])) v[k] = {};
  return v as ReactVars;
}

function message(ctx: StepContext, role: string, content: string, metadata: JsonObject = {}): JsonObject {
  const id = createHash('sha256').update(`${ctx.nowMs()}:${ctx.random()}:${content}`).digest('hex').slice(0, 32);
  return { role, content, timestamp: new Date(ctx.nowMs()).toISOString(), metadata: { ...metadata, message_id: `msg_${id}` } };
}

const go = (node: NodeName, next: NodeName): StepPlan => ({ node_id: node, next_node: next });
const effect = (node: NodeName, type: string, payload: JsonObject, resultKey: string | null, next: NodeName): StepPlan => ({
  node_id: node,
  effect: { type, payload, result_key: resultKey } as Effect,
  next_node: next,
});

export class ReactAgentWorkflow implements CompiledWorkflow {
  readonly entry_node = 'init';
  readonly flow;

  constructor(
    readonly workflow_id: string,
    private readonly tools: ToolSpecTable | null,
  ) {
    this.flow = { id: workflow_id, name: 'ReAct agent', nodes: [], edges: [] };
  }

  hasNode(nodeId: string): boolean {
    return (NODES as readonly string[]).includes(nodeId);
  }

  step(run: RunState, ctx: StepContext): StepPlan {
    const v = state(run);
    switch (run.current_node as NodeName) {
      case 'init':
        return this.init(v, ctx);
      case 'reason':
        return this.reason(v);
      case 'parse':
        return parse(v, ctx);
      case 'act':
        return act(v);
      case 'observe':
        return observe(v, ctx);
      case 'handle_user_response':
        return handleUserResponse(v, ctx);
      case 'finalize':
        return finalize(v);
      case 'finalize_parse':
        return finalizeParse(v);
      case 'done':
        return done(v, ctx);
      case 'max_iterations':
        return maxIterations(v);
      default:
        throw new Error(`ReAct agent has no node '${run.current_node}'`);
    }
  }

  /** Specs the model may call: the allowlist, restricted to tools this runtime knows. */
  private specs(allowed: string[]): JsonObject[] {
    return allowed.flatMap((name) => (name === 'ask_user' ? [ASK_USER_SPEC] : this.tools?.[name] ? [this.tools[name]] : []));
  }

  private init(v: ReactVars, ctx: StepContext): StepPlan {
    v.scratchpad.iteration = 0;
    v._limits.current_iteration = 0;
    const task = str(v.context.task);
    const last = v.context.messages.at(-1);
    if (!(last?.role === 'user' && last.content === task)) v.context.messages.push(message(ctx, 'user', task));
    const requested = Array.isArray(v._runtime.allowed_tools) ? v._runtime.allowed_tools.filter((t: unknown) => typeof t === 'string') : [];
    const specs = this.specs([...new Set<string>(requested)]);
    v._runtime.allowed_tools = specs.map((s) => s.name);
    v._runtime.tool_specs = specs;
    const sorted = [...specs].sort((a, b) => str(a.name).localeCompare(str(b.name)));
    v._runtime.toolset_id = `ts_${createHash('sha256').update(JSON.stringify(sorted)).digest('hex')}`;
    return go('init', 'reason');
  }

  private reason(v: ReactVars): StepPlan {
    const max = Math.max(1, Number.isInteger(v._limits.max_iterations) ? v._limits.max_iterations : 25);
    const current = Number(v._limits.current_iteration) || 0;
    if (current >= max) return go('reason', 'max_iterations');
    v._limits.current_iteration = current + 1;
    v.scratchpad.iteration = current + 1;
    const inbox = Array.isArray(v._runtime.inbox) ? v._runtime.inbox : [];
    const guidance = inbox.map((m: any) => str(isPlainObject(m) ? m.content : m)).join(' | ');
    v._runtime.inbox = [];
    const specs = Array.isArray(v._runtime.tool_specs) ? v._runtime.tool_specs : [];
    const task = str(v.context.task);
    const history = v.context.messages.filter((m, i) => !(i === 0 && m.role === 'user' && m.content === task));
    const params: JsonObject = { temperature: typeof v._runtime.temperature === 'number' ? v._runtime.temperature : specs.length ? 0.2 : 0.7 };
    if (Number.isInteger(v._limits.max_output_tokens)) params.max_tokens = v._limits.max_output_tokens;
    if (Number.isInteger(v._runtime.seed) && v._runtime.seed >= 0) params.seed = v._runtime.seed;
    if (v._runtime.thinking != null) params.thinking = v._runtime.thinking;
    const payload: JsonObject = {
      prompt: reactUserPrompt({ iteration: current + 1, maxIterations: max, task, history, guidance }),
      system_prompt: reactSystemPrompt(specs.map((s: JsonObject) => s.name), v._runtime.system_prompt_extra),
      tools: specs,
      params,
    };
    for (const k of ['provider', 'model']) if (typeof v._runtime[k] === 'string' && v._runtime[k]) payload[k] = v._runtime[k];
    return effect('reason', 'llm_call', payload, '_temp.llm_response', 'parse');
  }
}

function parse(v: ReactVars, ctx: StepContext): StepPlan {
  const response = isPlainObject(v._temp.llm_response) ? v._temp.llm_response : {};
  let content = str(response.content).replace(/^\s*assistant:\s*/i, '').trim();
  if (!content) content = str(response.reasoning).trim();
  const calls = (Array.isArray(response.tool_calls) ? response.tool_calls : []).filter((c: any) => isPlainObject(c) && typeof c.name === 'string' && isPlainObject(c.arguments));
  if (calls.length) {
    if (content) v.context.messages.push(message(ctx, 'assistant', content));
    v._temp.pending_tool_calls = calls.map((c: JsonObject, i: number) => ({ name: c.name, arguments: c.arguments, call_id: c.call_id ?? String(i + 1) }));
    return go('parse', 'act');
  }
  if (content.includes('observation[')) {
    const corrections = Number(v._temp.corrections) || 0;
    if (corrections < MAX_CORRECTIONS) {
      v._temp.corrections = corrections + 1;
      v._runtime.inbox = [...(Array.isArray(v._runtime.inbox) ? v._runtime.inbox : []), { role: 'system', content: FABRICATION_NOTE }];
      return go('parse', 'reason');
    }
    content = 'I could not complete the task reliably: my answers kept describing tool results that no tool returned.';
  }
  v.context.messages.push(message(ctx, 'assistant', content));
  v._temp.final_answer = content;
  return go('parse', v._temp.used_tools === true ? 'finalize' : 'done');
}

/** Leading calls of `pending` that go out together as one `tool_calls` batch. */
function batchLength(pending: JsonObject[], allowed: string[]): number {
  const n = pending.findIndex((c) => c.name === 'ask_user' || MEMORY_BUILTINS.has(c.name) || !allowed.includes(c.name));
  return n < 0 ? pending.length : n;
}

/**
 * Calls are handled in order: a run of allowed host tools goes out as one `tool_calls` batch;
 * `ask_user` becomes a user wait; anything else is answered with a tool error. `act` only reads
 * `pending_tool_calls` (and records how many it handled), so re-entering it after an approval
 * wait re-plans the byte-identical payload (same idempotency key); `observe` drops the handled ones.
 */
function act(v: ReactVars): StepPlan {
  const pending: JsonObject[] = Array.isArray(v._temp.pending_tool_calls) ? v._temp.pending_tool_calls : [];
  const allowed: string[] = Array.isArray(v._runtime.allowed_tools) ? v._runtime.allowed_tools : [];
  if (!pending.length) return go('act', 'reason');
  const batch = batchLength(pending, allowed);
  v._temp.act_handled = Math.max(batch, 1);
  if (batch > 0) return effect('act', 'tool_calls', { tool_calls: pending.slice(0, batch), allowed_tools: allowed }, '_temp.tool_results', 'observe');
  const first = pending[0];
  if (first.name === 'ask_user' && allowed.includes('ask_user')) {
    v._temp.pending_tool_calls = pending.slice(1);
    delete v._temp.act_handled;
    const args = isPlainObject(first.arguments) ? first.arguments : {};
    const choices = Array.isArray(args.choices) ? args.choices.map(str) : [];
    return effect('act', 'ask_user', { prompt: str(args.question ?? args.prompt), choices, allow_free_text: true, resume_to_node: 'handle_user_response' }, '_temp.user_response', 'handle_user_response');
  }
  const error = MEMORY_BUILTINS.has(first.name) && allowed.includes(first.name) ? `Tool '${first.name}' is not available in this runtime` : `Tool '${first.name}' is not allowed for this agent`;
  v._temp.tool_results = { mode: 'executed', results: [{ call_id: first.call_id, name: first.name, success: false, output: null, error }] };
  return go('act', 'observe');
}

function observe(v: ReactVars, ctx: StepContext): StepPlan {
  const results = Array.isArray(v._temp.tool_results?.results) ? v._temp.tool_results.results : [];
  for (const r of results.filter(isPlainObject)) {
    const name = str(r.name) || 'tool';
    const ok = r.success === true;
    const body = ok ? str(r.output) : `Error: ${str(r.error) || 'Tool execution failed'}`;
    v.context.messages.push(message(ctx, 'tool', `[${name}]: ${body}`, { name, call_id: r.call_id ?? null, success: ok }));
    if (ok && WRITE_TOOLS.has(name)) v._temp.wrote_files = true;
    v._temp.tools_used = [...new Set([...(Array.isArray(v._temp.tools_used) ? v._temp.tools_used : []), name])];
  }
  if (results.length) v._temp.used_tools = true;
  delete v._temp.tool_results;
  const pending = Array.isArray(v._temp.pending_tool_calls) ? v._temp.pending_tool_calls.slice(Number(v._temp.act_handled) || 0) : [];
  delete v._temp.act_handled;
  v._temp.pending_tool_calls = pending;
  return go('observe', pending.length ? 'act' : 'reason');
}

function handleUserResponse(v: ReactVars, ctx: StepContext): StepPlan {
  const answer = v._temp.user_response;
  const response = isPlainObject(answer) ? answer.response ?? answer.text ?? '' : answer;
  v.context.messages.push(message(ctx, 'user', `[User response]: ${str(response)}`));
  delete v._temp.user_response;
  const more = Array.isArray(v._temp.pending_tool_calls) && v._temp.pending_tool_calls.length > 0;
  return go('handle_user_response', more ? 'act' : 'reason');
}

function finalize(v: ReactVars): StepPlan {
  const observations = v.context.messages.filter((m) => m.role === 'tool').slice(-FINAL_OBSERVATIONS);
  const payload: JsonObject = {
    prompt: finalizePrompt({ task: str(v.context.task), toolsUsed: Array.isArray(v._temp.tools_used) ? v._temp.tools_used : [], wroteFiles: v._temp.wrote_files === true, observations }),
    system_prompt: 'You write concise, honest final answers.',
    tools: [],
    params: { temperature: 0.2 },
  };
  for (const k of ['provider', 'model']) if (typeof v._runtime[k] === 'string' && v._runtime[k]) payload[k] = v._runtime[k];
  return effect('finalize', 'llm_call', payload, '_temp.final_response', 'finalize_parse');
}

function finalizeParse(v: ReactVars): StepPlan {
  const content = str(v._temp.final_response?.content).trim();
  if (content) v._temp.final_answer = content;
  return go('finalize_parse', 'done');
}

function done(v: ReactVars, ctx: StepContext): StepPlan {
  const answer = str(v._temp.final_answer).trim() || 'No answer provided';
  const last = v.context.messages.at(-1);
  if (!(last?.role === 'assistant' && last.content === answer)) v.context.messages.push(message(ctx, 'assistant', answer, { kind: 'final_answer' }));
  return { node_id: 'done', complete_output: { answer, iterations: v.scratchpad.iteration, messages: v.context.messages } };
}

function maxIterations(v: ReactVars): StepPlan {
  const last = v.context.messages.at(-1);
  const answer = str(last?.content).trim() || 'Max iterations reached';
  return { node_id: 'max_iterations', complete_output: { answer, iterations: v.scratchpad.iteration, messages: v.context.messages } };
}
