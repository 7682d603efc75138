// The read-only discovery tools (spec §7.7): list_files, skim_folders, search_files. They
// answer in plain text a model can read, with paths relative to the workspace.

import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { boolArg, globMatcher, intArg, walk, type WalkEntry } from './walk.js';
import { ToolError, type ToolArgs, type ToolContext } from './types.js';

/** Files larger than this are not searched (logs, databases, media). */
const MAX_SEARCH_FILE_BYTES = 2 * 1024 * 1024;
const MAX_LINE_CHARS = 300;

async function directory(p: unknown, argName: string, ctx: ToolContext): Promise<string> {
  const dir = await ctx.workspace.existing(p ?? '.', argName);
  if (!(await stat(dir)).isDirectory()) throw new ToolError(`'${p}' is not a directory`);
  return dir;
}

function more(shown: number, total: number, capped: boolean, hint: string): string {
  if (capped) return `\n… stopped after ${total} entries (narrow the path or pattern)`;
  return shown < total ? `\n… ${total - shown} more (${hint})` : '';
}

export async function listFiles(args: ToolArgs, ctx: ToolContext): Promise<string> {
  const dir = await directory(args.directory_path ?? '.', 'directory_path', ctx);
  const match = globMatcher(args.pattern);
  const recursive = boolArg(args.recursive, false);
  const limit = intArg(args.head_limit, 10, 1, 10_000);
  const { entries, capped } = await walk(dir, ctx.workspace, { maxDepth: recursive ? Infinity : 0, includeHidden: boolArg(args.include_hidden, false), signal: ctx.signal });
  const hits = entries.filter((e) => match(e.dirent.name) && (e.dirent.isFile() || e.dirent.isSymbolicLink() || !recursive));
  const where = ctx.workspace.display(dir);
  if (hits.length === 0) return `No entries in '${where}' match '${args.pattern ?? '*'}'`;
  const lines = hits.slice(0, limit).map((e) => `  ${ctx.workspace.display(e.abs)}${e.dirent.isDirectory() ? '/' : e.dirent.isSymbolicLink() ? ' (symlink)' : ''}`);
  return `Entries in '${where}' matching '${args.pattern ?? '*'}' (${Math.min(limit, hits.length)} of ${hits.length}):\n${lines.join('\n')}${more(Math.min(limit, hits.length), hits.length, capped, 'raise head_limit')}`;
}

const MAX_TREE_LINES = 400;

export async function skimFolders(args: ToolArgs, ctx: ToolContext): Promise<string> {
  const raw = args.paths ?? args.path ?? args.folders;
  const paths = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
  if (paths.length === 0) throw new ToolError('paths is required (a list of folders)');
  const maxDepth = intArg(args.max_depth, 4, 0, 32);
  const match = globMatcher(args.file_pattern);
  const out: string[] = [];
  for (const p of paths) {
    const dir = await directory(p, 'paths', ctx);
    const { entries, capped } = await walk(dir, ctx.workspace, { maxDepth, includeHidden: boolArg(args.include_hidden, false), signal: ctx.signal });
    const dirs = entries.filter((e) => e.dirent.isDirectory());
    const files = entries.filter((e) => !e.dirent.isDirectory() && match(e.dirent.name));
    out.push(`${ctx.workspace.display(dir)}/ (${dirs.length} folders, ${files.length} files${capped ? ', stopped early' : ''})`);
    for (const e of [...dirs, ...files].sort((a, b) => a.abs.localeCompare(b.abs))) {
      if (out.length >= MAX_TREE_LINES) {
        out.push('… (tree cut; lower max_depth or skim a sub-folder)');
        return out.join('\n');
      }
      out.push(`${'  '.repeat(e.depth + 1)}${basename(e.abs)}${e.dirent.isDirectory() ? '/' : ''}`);
    }
  }
  return out.join('\n');
}

/** Read a regular, small, text file for searching; null when it should be skipped. */
async function searchable(e: WalkEntry): Promise<string | null> {
  if (!e.dirent.isFile()) return null;
  const fh = await open(e.abs, 'r').catch(() => null);
  if (!fh) return null;
  try {
    if ((await fh.stat()).size > MAX_SEARCH_FILE_BYTES) return null;
    const buf = await fh.readFile();
    return buf.subarray(0, 8192).includes(0) ? null : buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

function compile(pattern: unknown, multiline: boolean): RegExp {
  if (typeof pattern !== 'string' || pattern === '') throw new ToolError('pattern is required (a regular expression)');
  try {
    return new RegExp(pattern, multiline ? 'gims' : 'gi');
  } catch (e) {
    throw new ToolError(`Invalid regular expression: ${(e as Error).message}`);
  }
}

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;
const clip = (line: string) => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line);

function hitsIn(text: string, re: RegExp, multiline: boolean, maxHits: number): string[] {
  const hits: string[] = [];
  if (multiline) {
    for (const m of text.matchAll(re)) {
      hits.push(`  ${lineAt(text, m.index!)}: ${clip(m[0].split('\n')[0])}`);
      if (hits.length >= maxHits) break;
    }
    return hits;
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && hits.length < maxHits; i++) {
    re.lastIndex = 0;
    if (re.test(lines[i])) hits.push(`  ${i + 1}: ${clip(lines[i])}`);
  }
  return hits;
}

export async function searchFiles(args: ToolArgs, ctx: ToolContext): Promise<string> {
  const multiline = boolArg(args.multiline, false);
  const re = compile(args.pattern, multiline);
  const root = await ctx.workspace.existing(args.path ?? '.', 'path');
  const st = await stat(root);
  if (!st.isDirectory() && !st.isFile()) throw new ToolError(`'${args.path}' is neither a file nor a directory`);
  const isDir = st.isDirectory();
  const match = globMatcher(args.file_pattern);
  const headLimit = intArg(args.head_limit, 10, 1, 1000);
  const maxHits = intArg(args.max_hits, 8, 1, 1000);
  const candidates: WalkEntry[] = isDir
    ? (await walk(root, ctx.workspace, { maxDepth: Infinity, includeHidden: boolArg(args.include_hidden, false), signal: ctx.signal })).entries
    : [{ abs: root, dirent: { isFile: () => true, name: basename(root) } as WalkEntry['dirent'], depth: 0 }];
  const blocks: string[] = [];
  let matchedFiles = 0;
  for (const e of candidates) {
    if (!match(e.dirent.name)) continue;
    const text = await searchable(e);
    if (text === null) continue;
    const hits = hitsIn(text, re, multiline, maxHits);
    if (hits.length === 0) continue;
    matchedFiles += 1;
    if (blocks.length < headLimit) blocks.push(`${ctx.workspace.display(e.abs)}\n${hits.join('\n')}`);
  }
  if (matchedFiles === 0) return `No matches for /${args.pattern}/ in '${ctx.workspace.display(root)}'`;
  return `Matches for /${args.pattern}/ in '${ctx.workspace.display(root)}' (${blocks.length} of ${matchedFiles} files):\n${blocks.join('\n')}${more(blocks.length, matchedFiles, false, 'raise head_limit')}`;
}
