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

export type CommandType = 'pause' | 'resume' | 'cancel' | 'emit_event' | 'update_schedule' | 'compact_memory';
export const COMMAND_TYPES: readonly CommandType[] = ['pause', 'resume', 'cancel', 'emit_event', 'update_schedule', 'compact_memory'];

export type CommandState = 'pending' | 'applied' | 'rejected';

/** A durable inbox command plus its recorded outcome. */
export interface CommandRecord {
  command_id: string;
  run_id: string;
  type: CommandType;
  payload: JsonObject;
  ts: string;
  client_id: string | null;
  seq: number;
  state: CommandState;
  /** Why a command was rejected (null while pending or when applied). */
  reason: string | null;
  applied_at: string | null;
}
