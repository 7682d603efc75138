// start_subworkflow (spec runtime-visualflow §3.5.1): the child run is created in the same
// transaction as the parent's wait, so neither can exist without the other. The depth and
// children budgets are checked here, on the parent's engine counters (not its vars).

import type { EffectHandler } from './types.js';
import { newRunState } from '../new-run.js';
import { childBudgetError, depthError, usageOf, type RunLimits } from '../budgets.js';
import { isPlainObject } from '../../model/json.js';

const INHERITED_WORKSPACE_KEYS = ['workspace_root', 'workspace_access_mode', 'workspace_allowed_paths', 'workspace_ignored_paths'];

export const startSubworkflow = (limits: RunLimits): EffectHandler => ({
  mode: 'transactional',
  async run(call, { tx, workflows }) {
    const p = call.effect.payload;
    const parent = call.run;
    const workflowId = typeof p.workflow_id === 'string' ? p.workflow_id.trim() : '';
    if (!workflowId) return { status: 'failed', error: 'start_subworkflow requires payload.workflow_id' };
    const workflow = workflows.getWorkflow(workflowId);
    if (!workflow) return { status: 'failed', error: `Subworkflow '${workflowId}' is not registered` };
    const used = usageOf(parent);
    if (used.depth >= limits.maxSubflowDepth) return { status: 'failed', error: depthError(workflowId, limits.maxSubflowDepth) };
    if (used.children >= limits.maxChildren) return { status: 'failed', error: childBudgetError(limits.maxChildren) };
    used.children += 1;

    const vars: Record<string, any> = isPlainObject(p.vars) ? { ...p.vars } : {};
    for (const k of INHERITED_WORKSPACE_KEYS) {
      const v = parent.vars[k];
      if (!(k in vars) && v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)) vars[k] = v;
    }
    const child = newRunState({
      workflow,
      vars,
      actor_id: parent.actor_id,
      session_id: (typeof p.session_id === 'string' && p.session_id) || parent.session_id,
      parent_run_id: parent.run_id,
      createdAt: tx.nowIso(),
      defaults: { provider: parent.vars._runtime?.provider, model: parent.vars._runtime?.model },
      depth: used.depth + 1,
    });
    await tx.insertRun(child);

    // Fire-and-forget children only report their id; VisualFlow always waits (async + wait).
    if (p.async === true && p.wait !== true) return { status: 'completed', result: { sub_run_id: child.run_id, async: true } };
    return {
      status: 'waiting',
      wait: {
        reason: 'subworkflow',
        wait_key: `subworkflow:${child.run_id}`,
        until: null,
        resume_to_node: (typeof p.resume_to_node === 'string' && p.resume_to_node) || call.default_next,
        result_key: call.effect.result_key,
        prompt: null,
        choices: null,
        allow_free_text: true,
        details: { sub_run_id: child.run_id, sub_workflow_id: workflowId, async: true, include_traces: p.include_traces === true },
      },
    };
  },
});
