// read_file and write_file (spec §7.7), confined to the run's workspace. Reads return numbered
// lines and refuse whole reads of large files (a model should ask for a range); writes open with
// O_NOFOLLOW so a symbolic link planted between the check and the write is never followed.

import { constants } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { intArg } from './walk.js';
import { ToolError, type ToolArgs, type ToolContext } from './types.js';

/** A read without end_line is refused above this many lines (ask for a range instead). */
export const MAX_FULL_READ_LINES = 2000;
/** Files larger than this are never read whole into memory by read_file. */
const MAX_READ_BYTES = 16 * 1024 * 1024;
/** Largest content write_file accepts. */
export const MAX_WRITE_BYTES = 10 * 1024 * 1024;

/** The file argument under its documented name or one of the aliases models use (§7.6). */
export const filePathArg = (args: ToolArgs): unknown => args.file_path ?? args.path ?? args.filename ?? args.file;

export async function readFile(args: ToolArgs, ctx: ToolContext): Promise<string> {
  const path = await ctx.workspace.existing(filePathArg(args), 'file_path');
  const st = await stat(path);
  if (st.isDirectory()) throw new ToolError(`'${filePathArg(args)}' is a directory (use list_files)`);
  if (!st.isFile()) throw new ToolError(`'${filePathArg(args)}' is not a regular file`);
  if (st.size > MAX_READ_BYTES) throw new ToolError(`'${filePathArg(args)}' is ${st.size} bytes; too large to read (over ${MAX_READ_BYTES})`);
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  const buf = await fh.readFile().finally(() => fh.close());
  if (buf.subarray(0, 8192).includes(0)) throw new ToolError(`'${filePathArg(args)}' looks like a binary file`);
  const lines = buf.toString('utf8').split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const start = intArg(args.start_line, 1, 1, Number.MAX_SAFE_INTEGER);
  const hasEnd = args.end_line !== undefined && args.end_line !== null && args.end_line !== '';
  const end = hasEnd ? intArg(args.end_line, lines.length, start, Number.MAX_SAFE_INTEGER) : lines.length;
  if (!hasEnd && start === 1 && lines.length > MAX_FULL_READ_LINES) {
    throw new ToolError(`'${filePathArg(args)}' has ${lines.length} lines; read it in ranges with start_line/end_line (at most ${MAX_FULL_READ_LINES} lines at once)`);
  }
  if (lines.length === 0 || (lines.length === 1 && lines[0] === '')) return `File '${ctx.workspace.display(path)}' is empty`;
  if (start > lines.length) throw new ToolError(`start_line ${start} is past the end of '${filePathArg(args)}' (${lines.length} lines)`);
  const last = Math.min(end, lines.length);
  const width = String(last).length;
  const body = lines.slice(start - 1, last).map((l, i) => `${String(start + i).padStart(width)}: ${l}`);
  return `File: ${ctx.workspace.display(path)} (lines ${start}-${last} of ${lines.length})\n${body.join('\n')}`;
}

export async function writeFile(args: ToolArgs, ctx: ToolContext): Promise<string> {
  const path = await ctx.workspace.writable(filePathArg(args), 'file_path');
  if (args.content === undefined || args.content === null) throw new ToolError('content is required');
  const content = typeof args.content === 'string' ? args.content : JSON.stringify(args.content, null, 2);
  const bytes = Buffer.byteLength(content);
  if (bytes > MAX_WRITE_BYTES) throw new ToolError(`content is ${bytes} bytes; the limit is ${MAX_WRITE_BYTES}`);
  const append = typeof args.mode === 'string' && args.mode.trim().toLowerCase().startsWith('a');
  await mkdir(dirname(path), { recursive: true });
  // The parent may have been created just now: check the real path once more before writing.
  await ctx.workspace.writable(path, 'file_path');
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK | (append ? constants.O_APPEND : constants.O_TRUNC);
  const fh = await open(path, flags, 0o644).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ELOOP') throw new ToolError(`Access denied: '${filePathArg(args)}' is a symbolic link; tools do not write through links`);
    throw e;
  });
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
  return `${append ? 'Appended' : 'Wrote'} ${bytes} bytes to '${ctx.workspace.display(path)}'`;
}
