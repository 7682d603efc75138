// Builders for every ledger record kind (spec runtime-visualflow §2.3). One place so the
// exact wire shape cannot drift between the tick, commands and effect handlers. `at` is "now"
// on the process clock (a transaction's tx.nowIso(), or the tick's clock).

import { randomUUID } from 'node:crypto';
import { TERMINAL_STATUS_KEY_PREFIX, type Effect, type RunState, type StepRecord, type StepStatus, type WaitState } from '../model/run.js';

interface RecordFields {
  node_id: string;
  status: StepStatus;
  effect: Effect | null;
  result?: any;
  error?: string | null;
  step_id?: string;
  started_at?: string;
  ended_at?: string | null;
  attempt?: number;
  idempotency_key?: string | null;
}

export function makeRecord(run: RunState, f: RecordFields, at: string): StepRecord {
  return {
    run_id: run.run_id,
    step_id: f.step_id ?? randomUUID(),
    node_id: f.node_id,
    status: f.status,
    effect: f.effect,
    result: f.result ?? null,
    error: f.error ?? null,
    started_at: f.started_at ?? at,
    ended_at: f.ended_at === undefined ? at : f.ended_at,
    actor_id: run.actor_id,
    session_id: run.session_id,
    attempt: f.attempt ?? 1,
    idempotency_key: f.idempotency_key ?? null,
    prev_hash: null,
    record_hash: null,
    signature: null,
  };
}

/** The `started` record of an effect attempt (§2.3.1). */
export function startedRecord(run: RunState, nodeId: string, effect: Effect, key: string, at: string): StepRecord {
  return makeRecord(run, { node_id: nodeId, status: 'started', effect, ended_at: null, idempotency_key: key }, at);
}

/** The terminal record of an effect attempt: same step_id as its `started` record. */
export function finishedRecord(
  started: StepRecord,
  run: RunState,
  outcome: { status: 'completed'; result: any } | { status: 'waiting'; wait: WaitState } | { status: 'failed'; error: string },
  at: string,
): StepRecord {
  const base = { node_id: started.node_id, effect: started.effect, step_id: started.step_id, started_at: started.started_at, attempt: started.attempt, idempotency_key: started.idempotency_key };
  if (outcome.status === 'completed') return makeRecord(run, { ...base, status: 'completed', result: outcome.result }, at);
  if (outcome.status === 'waiting') return makeRecord(run, { ...base, status: 'waiting', result: { wait: outcome.wait } }, at);
  return makeRecord(run, { ...base, status: 'failed', error: outcome.error }, at);
}

/** Run completion record (§2.3.2). */
export function completionRecord(run: RunState, nodeId: string, result: Record<string, any>, at: string): StepRecord {
  return makeRecord(run, { node_id: nodeId, status: 'completed', effect: null, result }, at);
}

/** Terminal `abstract.status` event written whenever a run becomes terminal (§2.3.3). */
export function terminalStatusRecord(run: RunState, at: string): StepRecord {
  const text = run.status;
  const payload = { text };
  return makeRecord(run, {
    node_id: run.current_node || 'runtime',
    status: 'completed',
    effect: { type: 'emit_event', payload: { name: 'abstract.status', scope: 'session', payload }, result_key: null },
    result: { emitted: true, name: 'abstract.status', payload },
    idempotency_key: `${TERMINAL_STATUS_KEY_PREFIX}${text}`,
  }, at);
}

/** Resume record written when a waiting run receives a payload (§2.3.4). */
export function resumeRecord(run: RunState, nodeId: string, wait: WaitState, payload: any, at: string): StepRecord {
  return makeRecord(run, {
    node_id: nodeId,
    status: 'completed',
    effect: {
      type: 'resume',
      payload: { wait_reason: wait.reason, wait_key: wait.wait_key, resume_to_node: wait.resume_to_node, result_key: wait.result_key, payload },
      result_key: null,
    },
    result: { resumed: true },
  }, at);
}

/** Host record for an exception escaping a tick (§2.3.7). */
export function tickExceptionRecord(run: RunState, error: string, at: string): StepRecord {
  return makeRecord(run, {
    node_id: run.current_node || 'runtime',
    status: 'failed',
    effect: null,
    error,
    idempotency_key: `system:tick_exception:${run.run_id}`,
  }, at);
}
