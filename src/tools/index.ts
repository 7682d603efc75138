// The built-in tools (spec runtime-visualflow §7.7) and the tool policy (§3.5.3). A floor below
// the runtime: tools know the run's workspace, never the runtime, flows or HTTP.

export type { ToolSpec, ToolParameter, ToolContext, ToolOutcome, ToolArgs } from './types.js';
export { ToolError } from './types.js';
export { DEFAULT_TOOL_SPECS, UNAVAILABLE_TOOLS, toolSpec, toolSpecsFor } from './specs.js';
export { AUTO_APPROVE_TOOLS, REQUIRE_APPROVAL_TOOLS, RUNTIME_OWNED_TOOLS, batchNeedsApproval, planBatch, type BatchPlan, type ToolMode } from './policy.js';
export { WorkspaceScope, type AccessMode } from './workspace.js';
export { isHostTool, outcomeOf, runHostTool, scopeArguments } from './executor.js';
