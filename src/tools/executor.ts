// Runs one host tool call: argument scoping to the workspace (spec §7.6), the tool itself, and
// the reading of its output as success or failure (§3.5.3: a string starting with "Error:",
// ❌, 🚫 or ⏰, or an object with success:false / ok:false, is a failure).

import { listFiles, searchFiles, skimFolders } from './listing.js';
import { filePathArg, readFile, writeFile } from './file-io.js';
import { executeCommand } from './command.js';
import { UNAVAILABLE_TOOLS } from './specs.js';
import { ToolError, type ToolArgs, type ToolContext, type ToolFn, type ToolOutcome } from './types.js';
import type { WorkspaceScope } from './workspace.js';

const HOST_TOOLS: Readonly<Record<string, ToolFn>> = {
  list_files: listFiles,
  skim_folders: skimFolders,
  search_files: searchFiles,
  read_file: readFile,
  write_file: writeFile,
  execute_command: executeCommand,
};

export const isHostTool = (name: string): boolean => Object.hasOwn(HOST_TOOLS, name);

const FAILURE_PREFIXES = ['Error:', '❌', '🚫', '⏰'];

/** A tool's raw output read as an outcome. */
export function outcomeOf(output: unknown): ToolOutcome {
  if (typeof output === 'string' && FAILURE_PREFIXES.some((p) => output.trimStart().startsWith(p))) {
    return { success: false, output: null, error: output.trim() };
  }
  if (output !== null && typeof output === 'object' && !Array.isArray(output)) {
    const o = output as Record<string, unknown>;
    if (o.success === false || o.ok === false) return { success: false, output, error: typeof o.error === 'string' && o.error ? o.error : 'Tool reported failure' };
  }
  return { success: true, output, error: null };
}

const failure = (error: string): ToolOutcome => ({ success: false, output: null, error });

/**
 * Arguments checked against the workspace before anything runs (and before approval is asked):
 * path arguments become absolute paths inside the scope, or the call is refused with the reason.
 */
export async function scopeArguments(name: string, args: ToolArgs, ws: WorkspaceScope): Promise<{ args: ToolArgs } | { error: string }> {
  const out: ToolArgs = { ...args };
  try {
    switch (name) {
      case 'read_file':
      case 'write_file': {
        const raw = filePathArg(args);
        out.file_path = name === 'read_file' ? ws.absolute(raw, 'file_path') : await ws.writable(raw, 'file_path');
        for (const alias of ['path', 'filename', 'file']) delete out[alias];
        break;
      }
      case 'list_files':
        out.directory_path = ws.absolute(args.directory_path ?? '.', 'directory_path');
        break;
      case 'search_files':
        out.path = ws.absolute(args.path ?? '.', 'path');
        break;
      case 'skim_folders': {
        const raw = args.paths ?? args.path ?? args.folders;
        out.paths = (Array.isArray(raw) ? raw : [raw]).map((p: unknown) => ws.absolute(p, 'paths'));
        delete out.path;
        delete out.folders;
        break;
      }
      case 'execute_command':
        out.working_directory = ws.absolute(args.working_directory ?? ws.root ?? '.', 'working_directory');
        break;
      default:
        return { args: out };
    }
    // Existing paths are checked on their real target now; the tool checks again when it runs.
    for (const key of ['directory_path', 'path', 'working_directory', 'file_path'] as const) {
      if (typeof out[key] === 'string') await ws.existing(out[key], key).catch((e) => (e instanceof ToolError && e.message.startsWith('No such') ? null : Promise.reject(e)));
    }
    return { args: out };
  } catch (e) {
    if (e instanceof ToolError) return { error: e.message };
    throw e;
  }
}

/** Execute one host tool; every failure (refusal, tool error, crash) is an outcome, never a throw. */
export async function runHostTool(name: string, args: ToolArgs, ctx: ToolContext): Promise<ToolOutcome> {
  const fn = HOST_TOOLS[name];
  if (!fn) {
    const why = UNAVAILABLE_TOOLS[name];
    return failure(why ? `Tool '${name}' is not available: ${why}` : `Unknown tool '${name}'`);
  }
  try {
    return outcomeOf(await fn(args, ctx));
  } catch (e) {
    if (e instanceof ToolError) return failure(e.message);
    return failure(`Tool '${name}' failed: ${(e as Error)?.message ?? String(e)}`);
  }
}
