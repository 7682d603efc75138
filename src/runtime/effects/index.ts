// The default effect handler table. Effects that need an outside provider (LLM, media,
// memory) fail with a clear error until a provider is configured; tool_calls runs the
// built-in tools under the gateway's tool policy.

import type { EffectHandler, EffectHandlers } from './types.js';
import { answerUser, askUser, waitEvent, waitUntil } from './waits.js';
import { emitEvent } from './emit-event.js';
import { startSubworkflow } from './subworkflow.js';
import { toolCallsEffect, type ToolCallsOptions } from './tool-calls.js';
import { DEFAULT_RUN_LIMITS, type RunLimits } from '../budgets.js';

const PROVIDER_EFFECTS: Record<string, string> = {
  llm_call: 'LLM',
  model_residency: 'model runtime',
  memory_kg_assert: 'knowledge-graph memory',
  memory_kg_query: 'knowledge-graph memory',
  memory_kg_resolve: 'knowledge-graph memory',
};

function unavailable(what: string): EffectHandler {
  return {
    mode: 'external',
    async run(call) {
      return { status: 'failed', error: `No ${what} provider configured: cannot execute ${call.effect.type} (node '${call.node_id}')` };
    },
  };
}

export function defaultEffectHandlers(tools: ToolCallsOptions, overrides: Record<string, EffectHandler> = {}, limits: RunLimits = DEFAULT_RUN_LIMITS): EffectHandlers {
  const table = new Map<string, EffectHandler>([
    ['ask_user', askUser],
    ['answer_user', answerUser],
    ['wait_event', waitEvent],
    ['wait_until', waitUntil],
    ['emit_event', emitEvent],
    ['start_subworkflow', startSubworkflow(limits)],
    ['tool_calls', toolCallsEffect(tools)],
  ]);
  for (const [type, what] of Object.entries(PROVIDER_EFFECTS)) table.set(type, unavailable(what));
  for (const [type, h] of Object.entries(overrides)) table.set(type, h);
  return table;
}

export type { ToolCallsOptions } from './tool-calls.js';
export type { EffectHandler, EffectHandlers, EffectCall, KernelServices } from './types.js';
