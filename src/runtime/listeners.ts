// Blueprint event listeners (spec runtime-visualflow §3.4.4): every `on_event` node of a root
// flow gets a child run that waits for its event, handles it, and waits again. Listeners are
// created already parked on their first wait, in the root's start transaction, so an event
// the root emits on its very first steps cannot slip past them.

import type { StepContext, WorkflowSource } from '../flow/types.js';
import { listenerWorkflowId, onEventNodeIds } from '../bundles/namespace.js';
import { waitEvent } from './effects/waits.js';
import { idempotencyKey } from './idempotency.js';
import { newRunState } from './new-run.js';
import { finishedRecord, startedRecord } from './records.js';
import { applyEffectOutcome } from './tick.js';
import type { EffectOutcome, RunState, StepPlan, StepRecord } from '../model/run.js';
import { cloneJson } from '../model/json.js';

export interface NewListener {
  run: RunState;
  records: StepRecord[];
}

export function createListeners(root: RunState, workflows: WorkflowSource, ctx: StepContext): NewListener[] {
  const wf = workflows.getWorkflow(root.workflow_id);
  if (!wf) return [];
  const out: NewListener[] = [];
  for (const nodeId of onEventNodeIds(wf.flow)) {
    const lw = workflows.getWorkflow(listenerWorkflowId(wf.workflow_id, nodeId));
    if (!lw) continue;
    const run = newRunState({
      workflow: lw,
      vars: { _runtime: cloneJson(root.vars._runtime ?? {}), _limits: cloneJson(root.vars._limits ?? {}) },
      session_id: root.session_id,
      parent_run_id: root.run_id,
      actor_id: root.actor_id,
    });
    out.push({ run, records: parkOnFirstWait(run, lw.step(run, ctx), ctx) });
  }
  return out;
}

/** Run the listener's entry step (its wait_event) in memory; anything else is left to the runner. */
function parkOnFirstWait(run: RunState, plan: StepPlan, ctx: StepContext): StepRecord[] {
  const effect = plan.effect;
  if (!effect || effect.type !== 'wait_event' || waitEvent.mode !== 'inline') return [];
  const key = idempotencyKey(run.run_id, plan.node_id, effect);
  const outcome = waitEvent.run({ run, node_id: plan.node_id, effect, default_next: plan.next_node ?? null, idempotency_key: key, now_ms: ctx.nowMs() }) as EffectOutcome;
  const started = startedRecord(run, plan.node_id, effect, key);
  applyEffectOutcome(run, plan, outcome, key, false, 0);
  return [started, finishedRecord(started, run, outcome)];
}
