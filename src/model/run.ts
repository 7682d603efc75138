// The durable run model and ledger record shapes (spec runtime-visualflow §1–§3).
// Field names are wire contracts shared with the reference gateway: do not rename.

export type JsonObject = Record<string, any>;

export type RunStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';
export type WaitReason = 'event' | 'until' | 'user' | 'job' | 'subworkflow';

export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled']);
export const isTerminal = (s: RunStatus): boolean => TERMINAL_STATUSES.has(s);

export interface WaitState {
  reason: WaitReason;
  wait_key: string | null;
  until: string | null;
  resume_to_node: string | null;
  result_key: string | null;
  prompt: string | null;
  choices: string[] | null;
  allow_free_text: boolean;
  details: JsonObject | null;
}

export interface RunState {
  run_id: string;
  workflow_id: string;
  status: RunStatus;
  current_node: string;
  vars: JsonObject;
  waiting: WaitState | null;
  output: JsonObject | null;
  error: string | null;
  created_at: string;
  updated_at: string;
  actor_id: string | null;
  session_id: string | null;
  parent_run_id: string | null;
  /** Engine bookkeeping for the run budgets; absent on runs created before budgets existed. */
  usage?: RunUsage;
}

/**
 * What a run has used of its budgets. Kept beside vars, not in them: a flow can rewrite its
 * vars (set_var) but must not be able to reset its own counters.
 */
export interface RunUsage {
  /** Nodes executed so far. */
  steps: number;
  /** Child runs started so far. */
  children: number;
  /** Subflow nesting: 0 for a root run, parent's depth + 1 for a child. */
  depth: number;
}

export interface Effect {
  type: string;
  payload: JsonObject;
  result_key: string | null;
}

/** What a node handler returns for one step (spec §3.1). */
export interface StepPlan {
  node_id: string;
  effect?: Effect | null;
  next_node?: string | null;
  complete_output?: JsonObject | null;
}

export type StepStatus = 'started' | 'completed' | 'waiting' | 'failed';

export interface StepRecord {
  run_id: string;
  step_id: string;
  node_id: string;
  status: StepStatus;
  effect: Effect | null;
  result: any;
  error: string | null;
  started_at: string;
  ended_at: string | null;
  actor_id: string | null;
  session_id: string | null;
  attempt: number;
  idempotency_key: string | null;
  prev_hash: string | null;
  record_hash: string | null;
  signature: string | null;
}

export type EffectOutcome =
  | { status: 'completed'; result: any }
  | { status: 'waiting'; wait: WaitState }
  | { status: 'failed'; error: string };

/** Idempotency-key prefix of the `abstract.status` record written when a run ends (§2.3.3). */
export const TERMINAL_STATUS_KEY_PREFIX = 'system:terminal_status:';

/** True for the record that closes a run's ledger: nothing is appended after it. */
export const isTerminalStatusRecord = (r: StepRecord): boolean => r.idempotency_key?.startsWith(TERMINAL_STATUS_KEY_PREFIX) ?? false;
