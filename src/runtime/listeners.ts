// Blueprint event listeners (spec runtime-visualflow §3.4.4): every `on_event` node of a root
// flow gets a child run that waits for its event, handles it, and waits again. Listeners are
// created already parked on their first wait (the tick's parkOnEntryWait), in the root's start
// transaction, so an event the root emits on its very first steps cannot slip past them.

import type { StepContext, WorkflowSource } from '../flow/types.js';
import { listenerWorkflowId, onEventNodeIds } from '../bundles/namespace.js';
import type { EffectHandlers } from './effects/types.js';
import { newRunState } from './new-run.js';
import { parkOnEntryWait } from './tick.js';
import type { RunState, StepRecord } from '../model/run.js';
import { cloneJson } from '../model/json.js';

export interface NewListener {
  run: RunState;
  records: StepRecord[];
}

export async function createListeners(root: RunState, workflows: WorkflowSource, effects: EffectHandlers, ctx: StepContext): Promise<NewListener[]> {
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
      createdAt: root.created_at,
    });
    out.push({ run, records: await parkOnEntryWait(run, lw, effects, ctx) });
  }
  return out;
}
