// What the ReAct agent says to the model (spec runtime-visualflow §6.1.4 "Prompt construction"):
// our own wording with the reference's structure. Every ReAct call is one system + user exchange;
// the history travels inside the user prompt, tools are offered natively.

import type { JsonObject } from '../../model/run.js';

const RULES = [
  'You are an agent that completes the task by reasoning and acting through tools.',
  'Rules:',
  '- Act only through the tools offered to you; call a tool when you need information or need to change something.',
  '- Never invent tool results: observations come only from real tool calls, and you will see them in the history.',
  '- Do not ask for confirmation before using a tool; the runtime asks the user when approval is needed.',
  '- After writing or editing files, verify the result with a tool before claiming success.',
  '- When the task is done, answer the user directly without calling a tool.',
].join('\n');

export function reactSystemPrompt(toolNames: string[], extra: string | undefined): string {
  const parts = [RULES, `Available tools: ${toolNames.length ? toolNames.join(', ') : '(none)'}`];
  if (extra?.trim()) parts.push(`Additional system instructions:\n${extra.trim()}`);
  return parts.join('\n\n');
}

const contentOf = (m: JsonObject): string => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? ''));

/** One history line: tool messages as observations, others as `<role>: <content>`. */
function historyLine(m: JsonObject): string {
  if (m.role === 'tool') {
    const name = m.metadata?.name ?? 'tool';
    return `observation[${name}] (${m.metadata?.success === false ? 'error' : 'success'}): ${contentOf(m)}`;
  }
  return `${m.role}: ${contentOf(m)}`;
}

export interface ReasonPromptInput {
  iteration: number;
  maxIterations: number;
  task: string;
  /** The conversation so far, the task's own user message excluded. */
  history: JsonObject[];
  guidance: string;
}

export function reactUserPrompt(p: ReasonPromptInput): string {
  const parts = [`Iteration: ${p.iteration}/${p.maxIterations}`, `Task:\n${p.task}`];
  if (p.history.length) parts.push(`History:\n${p.history.map(historyLine).join('\n')}`);
  if (p.guidance) parts.push(`[User guidance]: ${p.guidance}`);
  return parts.join('\n\n');
}

export interface FinalizePromptInput {
  task: string;
  toolsUsed: string[];
  wroteFiles: boolean;
  observations: JsonObject[];
}

/** The tool-free synthesis call after tools were used: an honest answer for the user. */
export function finalizePrompt(p: FinalizePromptInput): string {
  return [
    'Write the final answer for the user based only on what the tools actually returned.',
    `Tools used: ${p.toolsUsed.join(', ') || '(none)'}`,
    `Files were written: ${p.wroteFiles ? 'yes' : 'no'}`,
    `Task:\n${p.task}`,
    `Last observations:\n${p.observations.map(historyLine).join('\n') || '(none)'}`,
    'If something failed or is unverified, say so plainly. Do not call tools.',
  ].join('\n\n');
}

/** Corrective note when the model wrote observations itself instead of calling tools. */
export const FABRICATION_NOTE =
  'Your previous reply contained tool observations you wrote yourself. Observations only come from real tool calls: call the tool instead, or answer without claiming tool results.';
