// The shapes shared by the built-in tools (spec runtime-visualflow §7.7): a ToolSpec describes a
// tool to models and clients; a tool runs with a ToolContext and either returns its output or
// throws a ToolError whose message is the result's `error`.

import type { WorkspaceScope } from './workspace.js';

export interface ToolParameter {
  type: string;
  description: string;
  default?: unknown;
}

export interface ToolSpec {
  name: string;
  description: string;
  when_to_use?: string;
  parameters: Record<string, ToolParameter>;
  required_args: string[];
  examples?: unknown[];
  tags?: string[];
  toolset: 'files' | 'system' | 'web' | 'other';
}

export interface ToolContext {
  workspace: WorkspaceScope;
  /** Aborted when the run's lease is lost or the process stops: long tools stop early. */
  signal: AbortSignal;
}

/** What one executed call produced (the executor adds call ids and the name). */
export interface ToolOutcome {
  success: boolean;
  output: unknown;
  error: string | null;
}

/** A refusal or failure a model can read and act on (never a crash of the run). */
export class ToolError extends Error {
  override name = 'ToolError';
}

export type ToolArgs = Record<string, any>;
export type ToolFn = (args: ToolArgs, ctx: ToolContext) => Promise<unknown>;
