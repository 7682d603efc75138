// Exec node type → step handler.

import type { StepPlan } from '../../model/run.js';
import { forStep, joinExecStep, loopStep, parallelStep, sequenceStep, whileStep } from './control.js';
import { answerUserStep, askUserStep, emitEventStep, listenVoiceStep, onEventStep, onScheduleStep, waitEventStep, waitUntilStep } from './events.js';
import type { ExecNode } from './graph.js';
import { agentStep, llmCallStep } from './llm.js';
import { mediaStep } from './media.js';
import { MEDIA_SPECS } from './media-specs.js';
import { MEMORY_TYPES, memoryStep } from './memory.js';
import { OUTPUT_MAPPERS } from './outputs.js';
import type { StepScope } from './scope.js';
import { subflowStep } from './subflow.js';
import { callToolStep, modelResidencyStep, toolCallsStep } from './tools.js';
import { addMessageStep, setVarPropertyStep, setVarStep, setVarsStep } from './variables.js';
import { VISUAL_LOGIC, visualStep } from './visual.js';

export type StepHandler = (n: ExecNode, s: StepScope) => StepPlan;

export const EXEC_HANDLERS: Record<string, StepHandler> = {
  ...Object.fromEntries(Object.entries(VISUAL_LOGIC).map(([type, logic]) => [type, (n: ExecNode, s: StepScope) => visualStep(n, s, logic)])),
  set_var: setVarStep,
  set_vars: setVarsStep,
  set_var_property: setVarPropertyStep,
  add_message: addMessageStep,
  sequence: sequenceStep,
  parallel: parallelStep,
  loop: loopStep,
  for: forStep,
  while: whileStep,
  join_exec: joinExecStep,
  ask_user: askUserStep,
  answer_user: answerUserStep,
  wait_event: waitEventStep,
  listen_voice: listenVoiceStep,
  wait_until: waitUntilStep,
  emit_event: emitEventStep,
  on_event: onEventStep,
  on_schedule: onScheduleStep,
  subflow: subflowStep,
  llm_call: llmCallStep,
  agent: agentStep,
  tool_calls: toolCallsStep,
  call_tool: callToolStep,
  model_residency: modelResidencyStep,
  ...Object.fromEntries(Object.keys(MEDIA_SPECS).map((type) => [type, mediaStep])),
  ...Object.fromEntries(MEMORY_TYPES.map((type) => [type, memoryStep])),
};

/** Effect nodes: their output comes from `_temp.effects` and exceptions fail the run (spec §4.11). */
export const isEffectType = (type: string): boolean => type in OUTPUT_MAPPERS;
