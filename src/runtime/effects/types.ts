// The effect-handler contract. Node handlers only describe effects; the tick performs them
// through these handlers, chosen by effect type.

import type { WorkflowSource } from '../../flow/types.js';
import type { StoreTx } from '../../store/types.js';
import type { Effect, EffectOutcome, RunState } from '../../model/run.js';

export interface EffectCall {
  /** The run's working copy; handlers may update vars (committed with the step). */
  run: RunState;
  node_id: string;
  effect: Effect;
  /** plan.next_node: where the run continues by default. */
  default_next: string | null;
  idempotency_key: string;
  now_ms: number;
}

export interface KernelServices {
  tx: StoreTx;
  workflows: WorkflowSource;
}

/**
 * - `inline`: touches nothing but the run; started + outcome records and the checkpoint
 *   commit in one transaction.
 * - `transactional`: reads/writes other runs (events, child runs) inside the step's transaction.
 * - `external`: talks to the outside world (LLM, tools, media). Its `started` record commits
 *   first; after a crash mid-effect it runs again with the same idempotency key.
 */
export type EffectHandler =
  | { mode: 'inline'; run(call: EffectCall): EffectOutcome | Promise<EffectOutcome> }
  | { mode: 'transactional'; run(call: EffectCall, k: KernelServices): Promise<EffectOutcome> }
  | { mode: 'external'; run(call: EffectCall, signal: AbortSignal): Promise<EffectOutcome> };

export type EffectHandlers = ReadonlyMap<string, EffectHandler>;
