// The gateway tool policy (spec §3.5.3, ABSTRACTGATEWAY_TOOL_MODE): which batches run at once,
// which wait for a person's approval, and which are handed to an outside executor.

export type ToolMode = 'approval' | 'passthrough' | 'delegated' | 'local';

/** Read-only tools: a batch made only of these runs without asking (approval mode). */
export const AUTO_APPROVE_TOOLS: readonly string[] = [
  'list_files', 'skim_folders', 'analyze_code', 'read_file', 'skim_files', 'search_files',
  'web_search', 'skim_websearch', 'skim_url', 'fetch_url', 'send_telegram_message', 'send_telegram_artifact',
];

/** Tools with side effects: always asked for (as is any tool not in the auto-approve set). */
export const REQUIRE_APPROVAL_TOOLS: readonly string[] = ['write_file', 'edit_file', 'execute_command', 'send_email', 'send_whatsapp_message'];

/** Executed by the runtime itself (session attachments): never subject to approval. */
export const RUNTIME_OWNED_TOOLS: readonly string[] = ['open_attachment'];

const AUTO = new Set(AUTO_APPROVE_TOOLS);
const REQUIRE = new Set(REQUIRE_APPROVAL_TOOLS);
const RUNTIME = new Set(RUNTIME_OWNED_TOOLS);

/** In approval mode: does this batch (tool names) need a person's approval? */
export function batchNeedsApproval(names: readonly string[]): boolean {
  return names.some((n) => !RUNTIME.has(n) && (REQUIRE.has(n) || !AUTO.has(n)));
}

/** What the policy does with a batch of (allowed, in-scope) calls. */
export type BatchPlan = 'execute' | 'approval_required' | 'passthrough' | 'delegated';

export function planBatch(mode: ToolMode, names: readonly string[]): BatchPlan {
  if (names.length === 0 || mode === 'local') return 'execute';
  if (mode === 'delegated') return 'delegated';
  if (mode === 'passthrough') return 'passthrough';
  return batchNeedsApproval(names) ? 'approval_required' : 'execute';
}
