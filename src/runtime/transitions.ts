// State transitions applied inside one store transaction: resuming a waiting run,
// finishing a run (terminal record + waking its parent), pause/un-pause/cancel of a tree.
// Used by the tick, the command inbox and kernel effects alike, so every path writes the
// same records.

import type { StoreTx, StoredRun } from '../store/types.js';
import { completionRecord, resumeRecord, terminalStatusRecord } from './records.js';
import { LISTENER_WORKFLOW_PREFIX } from '../bundles/namespace.js';
import { controlOf, isPaused, isPauseWait, pauseWait } from './control.js';
import { isTerminal, type JsonObject, type RunState, type StepRecord } from '../model/run.js';
import { setByPath } from '../model/paths.js';
import { cloneJson, isPlainObject } from '../model/json.js';

export type Applied = { ok: true } | { ok: false; reason: string };

/**
 * Persist `run` (a modified copy of `sr.run`) with its ledger records. When the run becomes
 * terminal this also writes the terminal status record and resumes a parent waiting on it.
 */
export async function saveRun(
  tx: StoreTx,
  sr: StoredRun,
  run: RunState,
  records: StepRecord[],
  opts?: Parameters<StoreTx['updateRun']>[2],
): Promise<number> {
  run.updated_at = tx.nowIso();
  const becameTerminal = !isTerminal(sr.run.status) && isTerminal(run.status);
  if (becameTerminal) records.push(terminalStatusRecord(run, run.updated_at));
  if (records.length > 0) await tx.appendLedger(run.run_id, records);
  const version = await tx.updateRun(run, sr.version, opts);
  if (becameTerminal) {
    await wakeParent(tx, run);
    if (!run.parent_run_id) await stopListeners(tx, run);
  }
  return version;
}

/** Event listeners live as long as their root run (the reference leaves them waiting forever). */
async function stopListeners(tx: StoreTx, root: RunState): Promise<void> {
  for (const child of await tx.listChildren(root.run_id)) {
    if (child.run.workflow_id.startsWith(LISTENER_WORKFLOW_PREFIX) && !isTerminal(child.run.status)) await cancelTree(tx, child, 'Parent run ended');
  }
}

/** What a parent waiting on a child receives (spec §3.5.1 "Parent resumption"). */
export function childResult(child: RunState, includeTraces: boolean): JsonObject {
  const out = child.output;
  const output: JsonObject = isPlainObject(out) ? { ...out } : { result: out };
  if (child.status !== 'completed') {
    if (!('success' in output)) output.success = false;
    if (child.status === 'cancelled') output.cancelled = true;
    output.error = child.error;
  }
  const payload: JsonObject = { sub_run_id: child.run_id, output };
  if (includeTraces) payload.node_traces = child.vars?._runtime?.node_traces ?? {};
  return payload;
}

function waitsOnChild(parent: RunState, childId: string): boolean {
  const w = parent.waiting;
  return parent.status === 'waiting' && !!w && w.reason === 'subworkflow' && w.details?.sub_run_id === childId;
}

async function wakeParent(tx: StoreTx, child: RunState): Promise<void> {
  if (!child.parent_run_id) return;
  const parent = await tx.getRun(child.parent_run_id);
  if (!parent || isPaused(parent.run) || !waitsOnChild(parent.run, child.run_id)) return;
  const includeTraces = parent.run.waiting?.details?.include_traces === true;
  await resumeRun(tx, parent, null, childResult(child, includeTraces));
}

/**
 * Resume a waiting run with a payload (spec §1.5): store it at the wait's result_key, write
 * the resume record, then continue at resume_to_node (or complete on a terminal wait).
 */
export async function resumeRun(tx: StoreTx, sr: StoredRun, waitKey: string | null, payload: JsonObject): Promise<Applied> {
  const run = cloneJson(sr.run);
  const w = run.waiting;
  if (isTerminal(run.status)) return { ok: false, reason: `Run is terminal (${run.status})` };
  if (isPaused(run)) return { ok: false, reason: 'Run is paused' };
  if (run.status !== 'waiting' || !w) return { ok: false, reason: 'Run is not waiting' };
  if (waitKey && w.wait_key && waitKey !== w.wait_key) {
    return { ok: false, reason: `wait_key mismatch (run waits on '${w.wait_key}')` };
  }
  if (w.result_key) setByPath(run.vars, w.result_key, payload);
  const records: StepRecord[] = [resumeRecord(run, run.current_node, w, payload, tx.nowIso())];
  run.waiting = null;
  if (w.resume_to_node) {
    run.status = 'running';
    run.current_node = w.resume_to_node;
  } else {
    run.status = 'completed';
    run.output = { success: true, result: payload };
    records.push(
      completionRecord(run, run.current_node, { completed: true, via: 'resume', wait_reason: w.reason, wait_key: w.wait_key, output: run.output }, tx.nowIso()),
    );
  }
  await saveRun(tx, sr, run, records);
  return { ok: true };
}

/** All runs of the tree rooted at `root`, parents before children. */
export async function collectTree(tx: StoreTx, root: StoredRun): Promise<StoredRun[]> {
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(await tx.listChildren(out[i].run.run_id)));
  return out;
}

/** Re-read a run inside the transaction (an earlier step of the same operation may have changed it). */
async function fresh(tx: StoreTx, sr: StoredRun): Promise<StoredRun> {
  return (await tx.getRun(sr.run.run_id)) ?? sr;
}

export async function cancelTree(tx: StoreTx, root: StoredRun, reason: string | null): Promise<void> {
  for (const node of await collectTree(tx, root)) {
    const sr = await fresh(tx, node);
    if (isTerminal(sr.run.status)) continue;
    const run = cloneJson(sr.run);
    run.status = 'cancelled';
    run.error = reason || 'Cancelled';
    run.waiting = null;
    const control = controlOf(run);
    delete control.paused;
    delete control.pause_reason;
    await saveRun(tx, sr, run, []);
  }
}

export async function pauseTree(tx: StoreTx, root: StoredRun, reason: string | null): Promise<void> {
  for (const node of await collectTree(tx, root)) {
    const sr = await fresh(tx, node);
    const r = sr.run;
    if (isTerminal(r.status) || isPaused(r)) continue;
    // A run waiting on a real user prompt is already blocked on a human: leave it.
    if (r.status === 'waiting' && r.waiting?.reason === 'user' && !isPauseWait(r.waiting)) continue;
    const run = cloneJson(r);
    const control = controlOf(run);
    control.paused = true;
    control.paused_at = tx.nowIso();
    if (reason) control.pause_reason = reason;
    if (run.status === 'running') {
      run.status = 'waiting';
      run.waiting = pauseWait(run);
    }
    await saveRun(tx, sr, run, []);
  }
}

export async function unpauseTree(tx: StoreTx, root: StoredRun): Promise<void> {
  for (const node of await collectTree(tx, root)) {
    const sr = await fresh(tx, node);
    if (isTerminal(sr.run.status) || !isPaused(sr.run)) continue;
    const run = cloneJson(sr.run);
    const control = controlOf(run);
    delete control.paused;
    delete control.pause_reason;
    control.resumed_at = tx.nowIso();
    if (isPauseWait(run.waiting)) {
      run.status = 'running';
      run.current_node = run.waiting!.resume_to_node ?? run.current_node;
      run.waiting = null;
    }
    await saveRun(tx, sr, run, []);
    await catchUpFinishedChild(tx, run);
  }
}

/** A child that finished while its parent was paused could not wake it; do it now. */
async function catchUpFinishedChild(tx: StoreTx, run: RunState): Promise<void> {
  const childId = run.waiting?.reason === 'subworkflow' ? run.waiting.details?.sub_run_id : null;
  if (typeof childId !== 'string') return;
  const child = await tx.getRun(childId);
  if (child && isTerminal(child.run.status)) {
    const parent = await tx.getRun(run.run_id);
    if (parent) await resumeRun(tx, parent, null, childResult(child.run, run.waiting?.details?.include_traces === true));
  }
}
