// `subflow` node (spec §5.11): start a child run of another workflow and wait for it.

import type { JsonObject, StepPlan } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import { coerceBool, nonBlank, pendingPlan } from '../engine/effect.js';
import type { ExecNode, GraphNode } from '../engine/graph.js';
import type { StepScope } from '../engine/scope.js';
import type { NodeDefinition } from './definition.js';
import { activeMessages, cleanAttachments } from './llm.js';

const INHERIT_PINS = ['inherit_context', 'inheritContext'];
const SESSION_PINS = ['child_session_id', 'childSessionId', 'session_id', 'sessionId'];
const CONTROL_PINS = new Set([...INHERIT_PINS, ...SESSION_PINS]);

/** Child run vars from the resolved inputs (spec §5.11 steps 1–4). */
function childVars(inputs: JsonObject, n: ExecNode): JsonObject {
  const base: JsonObject = isPlainObject(inputs.vars) ? { ...inputs.vars } : isPlainObject(inputs.input) ? { ...inputs.input } : {};
  const pins = n.inputPins.filter((p) => !INHERIT_PINS.includes(p));
  let out = base;
  if (pins.length) {
    for (const pin of pins) {
      if ((pin === 'vars' || pin === 'input') && isPlainObject(inputs[pin])) continue;
      if (pin in inputs) base[pin] = inputs[pin];
    }
  } else if (!Object.keys(base).length) out = { ...inputs };
  for (const pin of CONTROL_PINS) delete out[pin];
  return out;
}

const messageId = (m: JsonObject): string => nonBlank(m.metadata?.message_id);

/**
 * Seed the child's `context.messages` with the parent's active conversation: child system
 * messages, parent system messages, parent history, remaining child messages; de-duplicated
 * by `metadata.message_id` (messages without an id are always kept).
 */
function inheritContext(child: JsonObject, parentVars: JsonObject): void {
  const inherited = activeMessages(parentVars);
  if (!inherited.length) return;
  const ctx: JsonObject = isPlainObject(child.context) ? child.context : (child.context = {});
  const existing: JsonObject[] = Array.isArray(ctx.messages) ? ctx.messages.filter(isPlainObject).map((m: JsonObject) => ({ ...m })) : [];
  const seen = new Set<string>();
  const merged: JsonObject[] = [];
  const add = (m: JsonObject) => {
    const id = messageId(m);
    if (id && seen.has(id)) return;
    if (id) seen.add(id);
    merged.push(m);
  };
  const isSystem = (m: JsonObject) => m.role === 'system';
  existing.filter(isSystem).forEach(add);
  inherited.filter(isSystem).forEach(add);
  inherited.filter((m) => !isSystem(m)).forEach(add);
  existing.filter((m) => !isSystem(m)).forEach(add);
  ctx.messages = merged;
  const attachments = parentVars.context?.attachments;
  if (!('attachments' in ctx) && Array.isArray(attachments)) {
    const cleaned = cleanAttachments(attachments);
    if (cleaned.length) ctx.attachments = cleaned;
  }
}

function subflowStep(n: ExecNode, s: StepScope): StepPlan {
  const inputs = s.resolveInputs(n);
  const d = n.data;
  const workflowId = d.subflowId || d.flowId || d.workflowId || d.workflow_id;
  const cfg = d.effectConfig ?? {};
  const inheritPin = INHERIT_PINS.find((p) => p in inputs);
  const inherit = inheritPin ? coerceBool(inputs[inheritPin]) : Boolean(cfg.inherit_context ?? cfg.inheritContext ?? false);
  const vars = childVars(inputs, n);
  if (inherit) inheritContext(vars, s.vars);
  const pending: JsonObject & { type: string } = { type: 'start_subworkflow', workflow_id: workflowId ?? null, vars, async: true, wait: true };
  const sessionPin = SESSION_PINS.find((p) => p in inputs);
  const session = sessionPin ? nonBlank(inputs[sessionPin]) : '';
  if (session) pending.session_id = session;
  return pendingPlan(n, pending);
}

/** `{sub_run_id, output: O}` → the child's result on `output`, its pins on the declared output pins. */
function subflowOutputs(raw: any, n: GraphNode): JsonObject {
  if (!isPlainObject(raw)) return { output: raw };
  const o = raw.output;
  const out: JsonObject = { sub_run_id: raw.sub_run_id ?? null };
  const result = isPlainObject(o) && 'result' in o ? o.result : o;
  out.output = result ?? null;
  if (isPlainObject(o)) out.child_output = o;
  const pins = n.outputPins.filter((p) => p !== 'output');
  if (isPlainObject(result)) for (const pin of pins) out[pin] = result[pin] ?? null;
  else if (pins.length === 1) out[pins[0]] = result ?? null;
  return out;
}

export const SUBFLOW_NODES: NodeDefinition[] = [{ type: 'subflow', kind: 'effect', effect: 'start_subworkflow', step: subflowStep, outputs: subflowOutputs }];
