// Run budgets (issue 7). A reliability probe found a self-calling subflow creating 31,940 child
// runs in 20 s while its root showed `waiting` with no error, and A → B → A exec cycles spinning
// for ever. Each budget turns such a runaway into a failed run whose error names the setting
// to raise; the failure reaches a parent like any child failure.

import type { RunState, RunUsage } from '../model/run.js';

export interface RunLimits {
  /** Subflow nesting below a root run (ABSTRACTGATEWAY_MAX_SUBFLOW_DEPTH). */
  maxSubflowDepth: number;
  /** Nodes one run may execute without waiting once (ABSTRACTGATEWAY_RUN_MAX_STEPS). */
  maxSteps: number;
  /** Child runs one run may start (ABSTRACTGATEWAY_RUN_MAX_CHILDREN). */
  maxChildren: number;
}

export const DEFAULT_RUN_LIMITS: Readonly<RunLimits> = Object.freeze({ maxSubflowDepth: 64, maxSteps: 1_000_000, maxChildren: 10_000 });

/** The run's counters (created on first use for runs stored before budgets existed). */
export function usageOf(run: RunState): RunUsage {
  return (run.usage ??= { steps: 0, children: 0, depth: 0 });
}

export const stepBudgetError = (limit: number) =>
  `RunBudgetExceeded: the run executed ${limit} steps without waiting, the limit ABSTRACTGATEWAY_RUN_MAX_STEPS=${limit} (an exec cycle or a loop that never ends?)`;

export const childBudgetError = (limit: number) =>
  `RunBudgetExceeded: the run already started ${limit} child runs, the limit ABSTRACTGATEWAY_RUN_MAX_CHILDREN=${limit}`;

export const depthError = (workflowId: string, limit: number) =>
  `SubflowDepthExceeded: starting '${workflowId}' would nest subflows ${limit + 1} levels deep, over ABSTRACTGATEWAY_MAX_SUBFLOW_DEPTH=${limit} (a subflow calling itself?)`;
