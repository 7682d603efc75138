// The `tool_calls` effect (spec runtime-visualflow §3.5.3): allowlist and workspace checks, the
// gateway tool policy (ABSTRACTGATEWAY_TOOL_MODE), and execution of the built-in tools. It is
// an outside-world effect: its started record commits before any tool runs.
//
// Approval differs from the reference by design (docs/engine.md): the approval wait resumes
// to this same node with the client's answer stored at `_temp.tool_approval.<idempotency key>`.
// Re-entering the node plans the identical batch (same key), and this handler reads the
// answer there: tools run as a normal external effect (started record first), never inside
// the command that carried the approval.

import { randomBytes } from 'node:crypto';
import type { EffectHandler, EffectCall } from './types.js';
import type { EffectOutcome, JsonObject, RunState, WaitReason } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import type { ArtifactStore } from '../../store/types.js';
import { AUTO_APPROVE_TOOLS, REQUIRE_APPROVAL_TOOLS, WorkspaceScope, planBatch, runHostTool, type BatchPlan, type ToolMode } from '../../tools/index.js';
import { openAttachment } from './open-attachment.js';
import { blockedDetails, classifyCalls, executedEnvelope, isResultsEnvelope, mergeClientResults, pendingOf, resultFor, waitingCalls, type Slot } from './tool-batch.js';

export interface ToolCallsOptions {
  mode: ToolMode;
  /** The scope's artifact store (open_attachment reads session attachments from it). */
  artifacts: ArtifactStore;
}

/** Where a resume payload for a tool wait is kept until the re-entered node consumes it. */
export const TOOL_DECISIONS_PATH = '_temp.tool_approval';

/** The stored answer for this batch, removed from vars (it is used once). */
function takeDecision(run: RunState, key: string): unknown {
  const bucket = run.vars._temp?.tool_approval;
  if (!isPlainObject(bucket) || !Object.hasOwn(bucket, key)) return undefined;
  const decision = bucket[key];
  delete bucket[key];
  if (Object.keys(bucket).length === 0) delete run.vars._temp.tool_approval;
  return decision;
}

/** `approved` as people and clients send it: true, 1, "true", "yes", "approve(d)". */
const isApproval = (v: unknown): boolean => v === true || v === 1 || (typeof v === 'string' && ['true', '1', 'yes', 'approve', 'approved'].includes(v.trim().toLowerCase()));

const WAIT_REASONS: Record<Exclude<BatchPlan, 'execute'>, WaitReason> = { approval_required: 'user', passthrough: 'event', delegated: 'job' };

function executorDetails(plan: Exclude<BatchPlan, 'execute'>): JsonObject {
  if (plan !== 'approval_required') return { kind: plan };
  return { kind: 'tool_approval', policy: { auto_approve_tools: [...AUTO_APPROVE_TOOLS], require_approval_tools: [...REQUIRE_APPROVAL_TOOLS] } };
}

function waitFor(plan: Exclude<BatchPlan, 'execute'>, call: EffectCall, slots: Slot[]): EffectOutcome {
  const p = call.effect.payload;
  const own = typeof p.wait_key === 'string' && p.wait_key.trim() ? p.wait_key.trim() : null;
  const fallback = plan === 'approval_required' ? `tool_approval:${randomBytes(16).toString('hex')}` : `tool_calls:${call.run.run_id}:${call.node_id}`;
  return {
    status: 'waiting',
    wait: {
      reason: WAIT_REASONS[plan],
      wait_key: own ?? fallback,
      until: null,
      // Back to this node: it plans the same batch again and finds the answer (see the header).
      resume_to_node: call.node_id,
      result_key: `${TOOL_DECISIONS_PATH}.${call.idempotency_key}`,
      prompt: null,
      choices: null,
      allow_free_text: true,
      details: { mode: plan, tool_calls: waitingCalls(slots), executor: executorDetails(plan), ...blockedDetails(slots) },
    },
  };
}

function failPending(slots: Slot[], error: string): JsonObject {
  for (const s of pendingOf(slots)) s.result = resultFor(s, false, null, error);
  return executedEnvelope(slots);
}

export function toolCallsEffect(o: ToolCallsOptions): EffectHandler {
  async function execute(call: EffectCall, slots: Slot[], ws: WorkspaceScope, signal: AbortSignal): Promise<JsonObject> {
    for (const s of pendingOf(slots)) {
      const r =
        s.name === 'open_attachment'
          ? await openAttachment(call.run, s.args, o.artifacts).catch((e: Error) => ({ success: false, output: null, error: `Tool 'open_attachment' failed: ${e.message}` }))
          : await runHostTool(s.name, s.args, { workspace: ws, signal });
      s.result = resultFor(s, r.success, r.output, r.error);
    }
    return executedEnvelope(slots);
  }

  /** The batch answered by the resume payload of its earlier wait. */
  async function decided(decision: unknown, call: EffectCall, slots: Slot[], ws: WorkspaceScope, signal: AbortSignal): Promise<JsonObject> {
    if (isResultsEnvelope(decision)) return mergeClientResults(decision, slots);
    if (!isPlainObject(decision) || !('approved' in decision)) {
      return failPending(slots, 'Invalid tool resume payload: expected {"approved": true|false} or {"mode": "executed", "results": [...]}');
    }
    if (!isApproval(decision.approved)) return failPending(slots, (typeof decision.reason === 'string' && decision.reason.trim()) || 'Denied by user');
    if (o.mode === 'delegated') return failPending(slots, 'Tool execution is delegated to an outside executor: resume with {"mode": "executed", "results": [...]}');
    return execute(call, slots, ws, signal);
  }

  return {
    mode: 'external',
    async run(call, signal) {
      const ws = WorkspaceScope.fromVars(call.run.vars);
      const slots = await classifyCalls(call.effect.payload, ws);
      const decision = takeDecision(call.run, call.idempotency_key);
      if (decision !== undefined) return { status: 'completed', result: await decided(decision, call, slots, ws, signal) };
      const plan = planBatch(o.mode, pendingOf(slots).map((s) => s.name));
      if (plan !== 'execute') return waitFor(plan, call, slots);
      return { status: 'completed', result: await execute(call, slots, ws, signal) };
    },
  };
}
