// Creating a fresh RunState (spec runtime-visualflow §1.4 start()).

import { randomUUID } from 'node:crypto';
import type { CompiledWorkflow } from '../flow/types.js';
import type { JsonObject, RunState } from '../model/run.js';
import { cloneJson, isPlainObject } from '../model/json.js';

export interface NewRunOptions {
  workflow: CompiledWorkflow;
  vars?: JsonObject;
  session_id?: string | null;
  parent_run_id?: string | null;
  actor_id?: string | null;
  /** A caller-chosen id (e.g. derived from an idempotency key); default: a random UUID. */
  run_id?: string;
  /** Defaults for _runtime.provider/_runtime.model (set if absent). */
  defaults?: { provider?: string; model?: string };
  /** created_at = updated_at, on the process clock. */
  createdAt: string;
  /** Subflow nesting of the new run (0 = a root). */
  depth?: number;
}

const DEFAULT_LIMITS = {
  max_iterations: 50,
  current_iteration: 0,
  max_tokens: 32768,
  max_output_tokens: null,
  max_input_tokens: null,
  estimated_tokens_used: 0,
  max_history_messages: -1,
  warn_iterations_pct: 80,
  warn_tokens_pct: 80,
};

export function newRunState(o: NewRunOptions): RunState {
  const vars: JsonObject = cloneJson(o.vars ?? {});
  if (!isPlainObject(vars._limits)) vars._limits = { ...DEFAULT_LIMITS };
  if (!isPlainObject(vars._runtime)) vars._runtime = {};
  for (const k of ['provider', 'model'] as const) {
    const d = o.defaults?.[k];
    if (d && vars._runtime[k] == null) vars._runtime[k] = d;
  }
  const runId = o.run_id ?? randomUUID();
  return {
    run_id: runId,
    workflow_id: o.workflow.workflow_id,
    status: 'running',
    current_node: o.workflow.entry_node,
    vars,
    waiting: null,
    output: null,
    error: null,
    created_at: o.createdAt,
    updated_at: o.createdAt,
    actor_id: o.actor_id ?? 'gateway',
    session_id: o.session_id || runId,
    parent_run_id: o.parent_run_id ?? null,
    usage: { steps: 0, children: 0, depth: o.depth ?? 0 },
  };
}
