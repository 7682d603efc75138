// The ToolSpecs of the default toolset (spec runtime-visualflow §7.7): what models are offered
// and what /discovery/tools lists. Names and arguments are the reference's; only tools this
// gateway really executes are listed (web tools stay off until a web backend is configured).

import type { ToolParameter, ToolSpec } from './types.js';

const p = (type: string, description: string, dflt?: unknown): ToolParameter => (dflt === undefined ? { type, description } : { type, description, default: dflt });

export const DEFAULT_TOOL_SPECS: readonly ToolSpec[] = [
  {
    name: 'list_files',
    description: 'List files and folders in a workspace directory, optionally recursively, filtered by name patterns.',
    when_to_use: 'To see what exists in a folder before reading or editing files.',
    parameters: {
      directory_path: p('string', 'Folder to list, relative to the workspace', '.'),
      pattern: p('string', "Name globs separated by '|', case-insensitive (e.g. '*.py|*.md')", '*'),
      recursive: p('boolean', 'Descend into sub-folders (then only files are listed)', false),
      include_hidden: p('boolean', 'Include names starting with a dot', false),
      head_limit: p('integer', 'Maximum number of entries returned', 10),
    },
    required_args: [],
    toolset: 'files',
  },
  {
    name: 'skim_folders',
    description: 'Show the folder tree of one or more workspace folders with file and folder counts.',
    when_to_use: 'To get the shape of a project quickly.',
    parameters: {
      paths: p('array', 'Folders to skim, relative to the workspace'),
      max_depth: p('integer', 'How deep to descend', 4),
      file_pattern: p('string', "Globs for files shown, separated by '|'", '*'),
      include_hidden: p('boolean', 'Include names starting with a dot', false),
    },
    required_args: ['paths'],
    toolset: 'files',
  },
  {
    name: 'search_files',
    description: 'Search file contents in the workspace with a regular expression (case-insensitive); returns matching lines with numbers.',
    when_to_use: 'To find where something is defined or mentioned.',
    parameters: {
      pattern: p('string', 'Regular expression to search for'),
      path: p('string', 'File or folder to search, relative to the workspace', '.'),
      file_pattern: p('string', "Globs of file names to search, separated by '|'", '*'),
      head_limit: p('integer', 'Maximum number of files reported', 10),
      max_hits: p('integer', 'Maximum matching lines reported per file', 8),
      multiline: p('boolean', 'Let the pattern span lines', false),
      include_hidden: p('boolean', 'Include names starting with a dot', false),
    },
    required_args: ['pattern'],
    toolset: 'files',
  },
  {
    name: 'read_file',
    description: 'Read a text file of the workspace as numbered lines, whole or a line range.',
    when_to_use: 'To read a file before answering about it or editing it; read large files in ranges.',
    parameters: {
      file_path: p('string', 'File to read, relative to the workspace'),
      start_line: p('integer', 'First line to return (1-based)', 1),
      end_line: p('integer', 'Last line to return (inclusive); omit for the end of the file', null),
    },
    required_args: ['file_path'],
    toolset: 'files',
  },
  {
    name: 'write_file',
    description: 'Create or overwrite (mode "w") or append to (mode "a") a text file in the workspace; parent folders are created.',
    when_to_use: 'To save results or change a file. Needs approval in the default tool mode.',
    parameters: {
      file_path: p('string', 'File to write, relative to the workspace'),
      content: p('string', 'Text to write'),
      mode: p('string', '"w" to replace the file, "a" to append', 'w'),
    },
    required_args: ['file_path', 'content'],
    toolset: 'files',
  },
  {
    name: 'execute_command',
    description: 'Run a shell command in the workspace and return its exit code, stdout and stderr (capped). The command gets no server secrets in its environment.',
    when_to_use: 'To run builds, tests or scripts. Needs approval in the default tool mode.',
    parameters: {
      command: p('string', 'Shell command line'),
      working_directory: p('string', 'Folder to run in, relative to the workspace (default: the workspace root)'),
      timeout: p('integer', 'Seconds before the command is killed', 300),
      capture_output: p('boolean', 'Return stdout/stderr', true),
      require_confirmation: p('boolean', 'Accepted for compatibility; approval is decided by the gateway tool mode', false),
      allow_dangerous: p('boolean', 'Run even if the command looks destructive', false),
    },
    required_args: ['command'],
    toolset: 'system',
  },
  {
    name: 'open_attachment',
    description: "Open a file attached to this session: returns a text excerpt, or queues media (images, audio, PDF) for the model's next call.",
    when_to_use: 'When the user attached a file and you need its content.',
    parameters: {
      artifact_id: p('string', 'Artifact id of the attachment'),
      handle: p('string', 'Attachment handle or file name (alternative to artifact_id)'),
      expected_sha256: p('string', 'Refuse the attachment if its sha256 differs'),
      start_line: p('integer', 'First line of the text excerpt', 1),
      end_line: p('integer', 'Last line of the text excerpt'),
      max_chars: p('integer', 'Maximum characters of text returned', 8000),
    },
    required_args: [],
    toolset: 'files',
  },
];

const BY_NAME = new Map(DEFAULT_TOOL_SPECS.map((s) => [s.name, s]));

export function toolSpec(name: string): ToolSpec | undefined {
  return BY_NAME.get(name);
}

/** The specs of the named tools this gateway knows, in the given order, without duplicates. */
export function toolSpecsFor(names: Iterable<string>): ToolSpec[] {
  const out = new Map<string, ToolSpec>();
  for (const n of names) {
    const s = BY_NAME.get(n);
    if (s) out.set(n, s);
  }
  return [...out.values()];
}

/** Reference tools this build does not provide; calls to them fail with this reason. */
export const UNAVAILABLE_TOOLS: Readonly<Record<string, string>> = {
  web_search: 'web tools are not configured on this gateway',
  fetch_url: 'web tools are not configured on this gateway',
  skim_websearch: 'web tools are not configured on this gateway',
  skim_url: 'web tools are not configured on this gateway',
  analyze_code: 'it is not provided by this gateway',
  skim_files: 'it is not provided by this gateway',
  edit_file: 'it is not provided by this gateway (use write_file)',
};
