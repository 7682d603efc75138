// The `agent` node (spec runtime-visualflow §6.1): it runs the ReAct child workflow
// (../agent/react.ts) as a durable sub-run and projects the child's answer onto its pins. It
// re-enters itself (`next_node` = its own id) through phases kept in `vars._temp.agent[<node>]`:
// init → subworkflow → (structured) → done.

import type { JsonObject, StepPlan } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import { pyStr } from '../py.js';
import { coerceBool, nonBlank } from '../engine/effect.js';
import type { ExecNode } from '../engine/graph.js';
import { ensureObject } from '../engine/run-vars.js';
import type { StepScope } from '../engine/scope.js';
import type { NodeDefinition } from './definition.js';
import { activeMessages, cleanAttachments, normalizeResponseSchema, positiveInt } from './llm.js';

const META_SCHEMA = 'abstractcode.agent.v1.meta';
const MAX_CONTEXT_OBSERVATIONS = 20;
const OBSERVATION_CHARS = 2000;

/** The node's durable bucket. */
function bucketOf(s: StepScope, nodeId: string): JsonObject {
  return ensureObject(ensureObject(ensureObject(s.vars, '_temp'), 'agent'), nodeId);
}

/** Tool names: a single string or a list, trimmed and de-duplicated. */
function toolNames(raw: unknown): string[] {
  const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
  return [...new Set(list.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()))];
}

const pick = (inputs: JsonObject, keys: string[]): any => keys.map((k) => inputs[k]).find((v) => v !== undefined && v !== null);
const isDefault = (v: string): boolean => ['default', '__default__', '__abstractcore_default__', 'abstractcore.default'].includes(v.toLowerCase());

/** Inputs and agentConfig resolved once per invocation (§6.1.1–6.1.2). */
function resolveAgent(n: ExecNode, s: StepScope): JsonObject {
  let inputs: JsonObject;
  try {
    inputs = s.resolveInputs(n);
  } catch {
    inputs = {}; // spec §4.11: agent input resolution errors are swallowed
  }
  const cfg = n.data.agentConfig ?? {};
  const runtime = isPlainObject(s.vars._runtime) ? s.vars._runtime : {};
  const limits = isPlainObject(s.vars._limits) ? s.vars._limits : {};
  const choose = (key: 'provider' | 'model'): string => {
    const raw = [inputs[key], inputs[`${key}_text`], cfg[key]].find((v) => typeof v === 'string' && v.trim() && !isDefault(v.trim()));
    const value = typeof raw === 'string' ? raw.trim() : typeof runtime[key] === 'string' ? runtime[key] : '';
    return key === 'provider' ? value.toLowerCase() : value;
  };
  const schemaRaw = pick(inputs, ['resp_schema', 'response_schema']);
  const schema = normalizeResponseSchema(schemaRaw) ?? (cfg.outputSchema?.enabled ? normalizeResponseSchema(cfg.outputSchema.jsonSchema) : null);
  const includeKey = ['include_context', 'use_context'].find((k) => k in inputs);
  const temperature = 'temperature' in inputs && typeof inputs.temperature === 'number' ? inputs.temperature : typeof cfg.temperature === 'number' ? cfg.temperature : 0.7;
  const seed = 'seed' in inputs && Number.isInteger(inputs.seed) ? inputs.seed : Number.isInteger(cfg.seed) ? cfg.seed : -1;
  return {
    task: inputs.prompt == null ? '' : pyStr(inputs.prompt),
    context: isPlainObject(inputs.context) ? inputs.context : {},
    system: typeof inputs.system === 'string' ? inputs.system : inputs.system == null ? '' : pyStr(inputs.system),
    provider: choose('provider'),
    model: choose('model'),
    tools: 'tools' in inputs ? toolNames(inputs.tools) : toolNames(cfg.tools),
    include_context: coerceBool(includeKey ? inputs[includeKey] : cfg.include_context ?? cfg.use_context ?? false),
    max_iterations: positiveInt(pick(inputs, ['max_iterations'])) ?? positiveInt(cfg.max_iterations) ?? positiveInt(limits.max_iterations) ?? 25,
    max_input_tokens: positiveInt(pick(inputs, ['max_in_tokens', 'max_input_tokens', 'maxInputTokens'])) ?? positiveInt(cfg.max_input_tokens) ?? null,
    max_output_tokens: positiveInt(pick(inputs, ['max_out_tokens', 'max_output_tokens', 'maxOutputTokens'])) ?? positiveInt(cfg.max_output_tokens) ?? null,
    temperature,
    seed,
    thinking: pick(inputs, ['thinking']) ?? cfg.thinking ?? runtime.thinking ?? null,
    response_schema: schema,
  };
}

/** Vars of the ReAct child (§6.1.3 step 2, SUB_VARS). */
function subVars(r: JsonObject, s: StepScope): JsonObject {
  const pinned = Array.isArray(r.context.messages) ? r.context.messages.filter(isPlainObject) : [];
  const messages = pinned.length ? pinned.map((m: JsonObject) => ({ ...m })) : r.include_context ? activeMessages(s.vars) : [];
  const context: JsonObject = { ...r.context, task: r.task, messages };
  const attachments = s.vars.context?.attachments;
  if (r.include_context && Array.isArray(attachments) && !('attachments' in r.context)) context.attachments = cleanAttachments(attachments);
  const runtime: JsonObject = { inbox: [], allowed_tools: r.tools };
  if (r.provider) runtime.provider = r.provider;
  if (r.model) runtime.model = r.model;
  if (r.temperature !== 0.7) runtime.temperature = r.temperature;
  if (r.seed >= 0) runtime.seed = r.seed;
  if (r.thinking != null) runtime.thinking = r.thinking;
  if (nonBlank(r.system)) runtime.system_prompt_extra = r.system;
  const limits: JsonObject = { ...(isPlainObject(s.vars._limits) ? s.vars._limits : {}), max_iterations: r.max_iterations, current_iteration: 0 };
  if (r.max_input_tokens) limits.max_input_tokens = r.max_input_tokens;
  if (r.max_output_tokens) limits.max_output_tokens = r.max_output_tokens;
  return { context, scratchpad: { iteration: 0, max_iterations: r.max_iterations }, _runtime: runtime, _temp: {}, _limits: limits };
}

/** Every effect step of the child, by time, from its node traces. */
function childSteps(traces: unknown): JsonObject[] {
  if (!isPlainObject(traces)) return [];
  const steps = Object.values(traces).flatMap((t: any) => (Array.isArray(t?.steps) ? t.steps.filter(isPlainObject) : []));
  return steps.sort((a, b) => String(a.ts).localeCompare(String(b.ts)));
}

function agentStep(n: ExecNode, s: StepScope): StepPlan {
  let b = bucketOf(s, n.id);
  if (b.phase === 'done') {
    // Re-entered (e.g. inside a loop): a fresh invocation.
    delete s.vars._temp.agent[n.id];
    b = bucketOf(s, n.id);
  }
  if (b.phase === 'structured') return finish(n, s, b, structuredData(b.structured));
  if (b.phase === 'subworkflow') return afterChild(n, s, b);
  const r = resolveAgent(n, s);
  const workflowId = n.data.agentConfig?._react_workflow_id;
  if (typeof workflowId !== 'string' || !workflowId) throw new Error(`Agent node '${n.id}' has no ReAct workflow (agents run from loaded bundles)`);
  Object.assign(b, { phase: 'subworkflow', resolved_inputs: r, provider: r.provider, model: r.model });
  return {
    node_id: n.id,
    effect: {
      type: 'start_subworkflow',
      payload: { workflow_id: workflowId, vars: subVars(r, s), async: true, wait: true, include_traces: true },
      result_key: `_temp.agent.${n.id}.sub`,
    },
    next_node: n.id,
  };
}

/** The child finished: build the scratchpad, extend the parent's context, maybe ask for structured output. */
function afterChild(n: ExecNode, s: StepScope, b: JsonObject): StepPlan {
  const sub = b.sub;
  if (!isPlainObject(sub)) throw new Error(`Agent node '${n.id}' resumed without its sub-run result`);
  const output = isPlainObject(sub.output) ? sub.output : {};
  if (output.success === false) throw new Error(`Agent sub-run ${sub.sub_run_id} failed: ${output.error ?? 'unknown error'}`);
  const r = b.resolved_inputs as JsonObject;
  const steps = childSteps(sub.node_traces);
  const toolSteps = steps.filter((st) => st.effect?.type === 'tool_calls' && st.status === 'completed');
  const llm = steps.find((st) => st.effect?.type === 'llm_call' && isPlainObject(st.result));
  const answer = typeof output.answer === 'string' ? output.answer : pyStr(output.answer ?? '');
  Object.assign(b, {
    answer,
    success: true,
    provider: b.provider || llm?.result.provider || null,
    model: b.model || llm?.result.model || null,
    output_mode: 'unstructured',
    iterations: output.iterations ?? 0,
    sub_run_id: sub.sub_run_id,
    messages: Array.isArray(output.messages) ? output.messages : [],
    tool_calls: toolSteps.flatMap((st) => (Array.isArray(st.effect.payload?.tool_calls) ? st.effect.payload.tool_calls : [])),
    tool_results: toolSteps.flatMap((st) => (Array.isArray(st.result?.results) ? st.result.results : [])),
    scratchpad: { sub_run_id: sub.sub_run_id, workflow_id: n.data.agentConfig?._react_workflow_id, task: r.task, messages: output.messages ?? [], node_traces: sub.node_traces ?? {}, steps },
  });
  if (r.include_context && b.context_appended_sub_run_id !== sub.sub_run_id) {
    appendAgentTurn(s, n.id, b);
    b.context_appended_sub_run_id = sub.sub_run_id;
  }
  if (!r.response_schema) return finish(n, s, b, undefined);
  b.phase = 'structured';
  const params: JsonObject = { temperature: r.temperature };
  if (r.seed >= 0) params.seed = r.seed;
  if (r.thinking != null) params.thinking = r.thinking;
  const payload: JsonObject = {
    messages: [
      {
        role: 'user',
        content: `Convert the agent's answer below into one JSON object that matches the requested schema. Reply with the JSON only.\n\nTask:\n${r.task}\n\nAnswer:\n${answer}`,
      },
    ],
    system_prompt: r.system,
    response_schema: r.response_schema,
    response_schema_name: `Agent_${n.id}`,
    params,
  };
  if (b.provider) payload.provider = b.provider;
  if (b.model) payload.model = b.model;
  return { node_id: n.id, effect: { type: 'llm_call', payload, result_key: `_temp.agent.${n.id}.structured` }, next_node: n.id };
}

function structuredData(result: unknown): JsonObject {
  if (!isPlainObject(result)) return {};
  if (isPlainObject(result.data)) return result.data;
  try {
    const parsed = JSON.parse(String(result.content ?? ''));
    return isPlainObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** Phase done: the outputs become the node's result and the pipeline value. */
function finish(n: ExecNode, s: StepScope, b: JsonObject, data: JsonObject | undefined): StepPlan {
  const toolCalls = Array.isArray(b.tool_calls) ? b.tool_calls : [];
  const toolResults = Array.isArray(b.tool_results) ? b.tool_results : [];
  const meta: JsonObject = {
    schema: META_SCHEMA,
    version: 1,
    output_mode: data ? 'structured' : 'unstructured',
    provider: b.provider ?? null,
    model: b.model ?? null,
    tool_calls: toolCalls.length,
    tool_results: toolResults.length,
    sub_run_id: b.sub_run_id,
    iterations: b.iterations,
  };
  const outputs: JsonObject = {
    response: data ? JSON.stringify(data) : b.answer,
    success: true,
    meta,
    scratchpad: { ...b.scratchpad, tool_calls: toolCalls, tool_results: toolResults },
    tool_calls: toolCalls,
    tool_results: toolResults,
  };
  if (data) outputs.data = data;
  b.phase = 'done';
  b.output_mode = meta.output_mode;
  ensureObject(ensureObject(s.vars, '_temp'), 'effects')[n.id] = outputs;
  s.vars._last_output = outputs;
  const next = n.control.next;
  if (next) return { node_id: n.id, next_node: next };
  return { node_id: n.id, complete_output: { response: outputs.response, success: true, meta, scratchpad: outputs.scratchpad } };
}

/** With include_context, the parent's conversation gets the task, tool observations and answer (§6.1.3 step 3). */
function appendAgentTurn(s: StepScope, nodeId: string, b: JsonObject): void {
  const context = ensureObject(s.vars, 'context');
  if (!Array.isArray(context.messages)) context.messages = [];
  const messages: JsonObject[] = context.messages;
  const seen = new Set(messages.map((m) => m?.metadata?.message_id).filter(Boolean));
  const prefix = `agent:${b.sub_run_id}:${nodeId}`;
  const add = (id: string, role: string, content: string, extra: JsonObject = {}) => {
    if (seen.has(id)) return;
    messages.push({ role, content, metadata: { message_id: id, ...extra } });
  };
  add(`${prefix}:task`, 'user', (b.resolved_inputs as JsonObject).task, { kind: 'agent_turn' });
  const results: JsonObject[] = (b.tool_results as JsonObject[]).filter(isPlainObject);
  const calls: JsonObject[] = (b.tool_calls as JsonObject[]).filter(isPlainObject);
  results.slice(0, MAX_CONTEXT_OBSERVATIONS).forEach((r, i) => {
    const args = calls.find((c) => c.call_id === r.call_id)?.arguments;
    const argText = isPlainObject(args) ? `args=${JSON.stringify(args, Object.keys(args).sort())}\n` : '';
    const body = r.success ? pyStr(r.output ?? '') : `Error: ${pyStr(r.error ?? '')}`;
    const text = `[${r.name}]: ${argText}${body}`.slice(0, OBSERVATION_CHARS);
    add(`${prefix}:tool:${r.call_id ?? i}`, 'assistant', text, { kind: 'tool_observation', tool_name: r.name, success: r.success === true, call_id: r.call_id ?? null });
  });
  if (results.length > MAX_CONTEXT_OBSERVATIONS) add(`${prefix}:tool:omitted`, 'assistant', `(${results.length - MAX_CONTEXT_OBSERVATIONS} more tool results omitted)`, { kind: 'tool_observation' });
  add(`${prefix}:answer`, 'assistant', b.answer, { kind: 'agent_turn' });
}

/** Pins of a finished agent: the outputs its last phase stored (rebuilt from `_temp.effects` after a restart). */
const agentOutputs = (raw: any): JsonObject => (isPlainObject(raw) ? raw : {});

export const AGENT_NODES: NodeDefinition[] = [{ type: 'agent', kind: 'agent', effect: 'start_subworkflow', step: agentStep, outputs: agentOutputs }];
