// Test data and small store operations shared by the conformance cases. Only the contract in
// src/store/types.ts is used, so every backend runs the same cases.

import type { RunState, StepRecord, WaitState } from '../../../src/model/run.js';
import { isoFromMs } from '../../../src/model/time.js';
import type { NewCommand, RuntimeStore } from '../../../src/store/types.js';

export const T0 = Date.parse('2026-01-01T00:00:00Z');
export const LEASE_MS = 30_000;

let ids = 0;
const uid = (prefix: string) => `${prefix}-${++ids}`;

export function makeRun(over: Partial<RunState> = {}): RunState {
  const at = isoFromMs(T0);
  return {
    run_id: uid('run'),
    workflow_id: 'wf@1',
    status: 'running',
    current_node: 'start',
    vars: {},
    waiting: null,
    output: null,
    error: null,
    created_at: at,
    updated_at: at,
    actor_id: 'gateway',
    session_id: null,
    parent_run_id: null,
    ...over,
  };
}

function waitState(over: Partial<WaitState>): WaitState {
  return {
    reason: 'user',
    wait_key: null,
    until: null,
    resume_to_node: 'next',
    result_key: null,
    prompt: null,
    choices: null,
    allow_free_text: true,
    details: null,
    ...over,
  };
}

export const waitingRun = (w: Partial<WaitState>, over: Partial<RunState> = {}) => makeRun({ status: 'waiting', waiting: waitState(w), ...over });
export const pausedVars = { _runtime: { control: { paused: true } } };

export function makeRecord(runId: string, over: Partial<StepRecord> = {}): StepRecord {
  return {
    run_id: runId,
    step_id: uid('step'),
    node_id: 'n1',
    status: 'completed',
    effect: null,
    result: null,
    error: null,
    started_at: isoFromMs(T0),
    ended_at: isoFromMs(T0),
    actor_id: null,
    session_id: null,
    attempt: 1,
    idempotency_key: null,
    prev_hash: null,
    record_hash: null,
    signature: null,
    ...over,
  };
}

export function command(runId: string, over: Partial<NewCommand> = {}): NewCommand {
  return { command_id: uid('cmd'), run_id: runId, type: 'pause', payload: {}, ts: isoFromMs(T0), client_id: null, ...over };
}

export async function insert(rt: RuntimeStore, ...list: RunState[]): Promise<void> {
  await rt.tx(async (tx) => {
    for (const r of list) await tx.insertRun(r);
  });
}

export async function append(rt: RuntimeStore, runId: string, records: StepRecord[]): Promise<number> {
  return rt.tx((tx) => tx.appendLedger(runId, records));
}

export const claimIds = async (rt: RuntimeStore, owner: string, now: number, limit = 100) =>
  (await rt.claimRunnable(owner, LEASE_MS, limit, now)).map((c) => c.run_id).sort();
