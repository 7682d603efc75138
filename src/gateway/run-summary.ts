// The HTTP-safe run summary (spec core-api §3.4, runtime-visualflow §1.7): a small projection
// of a run. Full vars never leave the server; only these well-known subsets do.

import type { StoredRun } from '../store/types.js';
import type { JsonObject, RunState } from '../model/run.js';
import { isPlainObject } from '../model/json.js';
import { isDraftLifecycle, sanitizeLifecycle, type SanitizedLifecycle } from './run-input.js';

export interface RunSummary {
  run_id: string;
  workflow_id: string | null;
  status: string;
  current_node: string | null;
  created_at: string | null;
  updated_at: string | null;
  actor_id: string | null;
  session_id: string | null;
  parent_run_id: string | null;
  error: string | null;
  flow_warnings: string[] | null;
  paused: boolean;
  pause_reason: unknown;
  paused_at: unknown;
  resumed_at: unknown;
  waiting: JsonObject | null;
  is_scheduled: boolean;
  schedule: JsonObject | null;
  limits: { tokens: JsonObject } | null;
  run_lifecycle: SanitizedLifecycle | null;
  is_draft: boolean;
  /** Extension: number of ledger records (the cursor a fully caught-up client holds). */
  ledger_len: number;
}

const SCHEDULE_KEYS = [
  'interval',
  'repeat_count',
  'repeat_until',
  'start_at',
  'share_context',
  'target_workflow_id',
  'target_bundle_ref',
  'target_flow_id',
  'created_at',
  'updated_at',
] as const;

const obj = (v: unknown): JsonObject | undefined => (isPlainObject(v) ? v : undefined);
/** Python int() for the token budget arithmetic (bools excluded). */
const asInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : undefined);

function flowWarnings(raw: unknown): string[] | null {
  if (!Array.isArray(raw)) return null;
  const cleaned = raw.filter((w): w is string => typeof w === 'string').map((w) => w.trim()).filter(Boolean);
  return cleaned.length > 0 ? cleaned : null;
}

function scheduleOf(run: RunState): Pick<RunSummary, 'is_scheduled' | 'schedule'> {
  const schedule = obj(obj(run.vars?._meta)?.schedule);
  if (schedule?.kind === 'scheduled_run') {
    const out: JsonObject = { kind: 'scheduled_run' };
    for (const k of SCHEDULE_KEYS) out[k] = schedule[k] ?? null;
    return { is_scheduled: true, schedule: out };
  }
  return { is_scheduled: run.workflow_id.startsWith('scheduled:'), schedule: null };
}

function limitsOf(vars: JsonObject): RunSummary['limits'] {
  const limits = obj(vars._limits);
  if (!limits) return null;
  const used = limits.estimated_tokens_used ?? null;
  const maxTokens = limits.max_tokens ?? null;
  const maxInput = limits.max_input_tokens ?? null;
  const usedI = asInt(used);
  const budgetI = asInt(maxInput ?? maxTokens);
  const pct = usedI !== undefined && budgetI !== undefined && budgetI > 0 ? usedI / budgetI : null;
  return { tokens: { estimated_used: used, max_tokens: maxTokens, max_input_tokens: maxInput, pct, warn_tokens_pct: limits.warn_tokens_pct ?? null } };
}

export function runSummary(stored: StoredRun): RunSummary {
  const { run } = stored;
  const vars = obj(run.vars) ?? {};
  const control = obj(obj(vars._runtime)?.control);
  const lifecycle = sanitizeLifecycle(vars._run_lifecycle) ?? null;
  const w = run.waiting;
  return {
    run_id: run.run_id,
    workflow_id: run.workflow_id ?? null,
    status: run.status,
    current_node: run.current_node ?? null,
    created_at: run.created_at ?? null,
    updated_at: run.updated_at ?? null,
    actor_id: run.actor_id ?? null,
    session_id: run.session_id ?? null,
    parent_run_id: run.parent_run_id ?? null,
    error: run.error ?? null,
    flow_warnings: flowWarnings(vars._flow_warnings),
    paused: control?.paused === true,
    pause_reason: control?.pause_reason ?? null,
    paused_at: control?.paused_at ?? null,
    resumed_at: control?.resumed_at ?? null,
    waiting: w
      ? {
          reason: w.reason,
          wait_key: w.wait_key ?? null,
          until: w.until ?? null,
          prompt: w.prompt ?? null,
          choices: w.choices ?? null,
          allow_free_text: w.allow_free_text ?? null,
          details: w.details ?? null,
        }
      : null,
    ...scheduleOf(run),
    limits: limitsOf(vars),
    run_lifecycle: lifecycle,
    is_draft: isDraftLifecycle(lifecycle),
    ledger_len: stored.ledger_len,
  };
}
