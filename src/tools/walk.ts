// Directory walking for the listing and search tools: never follows symbolic links (a link is
// listed, not entered), skips ignored and (unless asked) hidden entries, and stops at a hard cap
// so a tool call on a huge tree stays bounded.

import { readdir } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { join } from 'node:path';
import type { WorkspaceScope } from './workspace.js';

/** Entries visited per call at most; beyond this the listing says it stopped early. */
export const MAX_WALK_ENTRIES = 20_000;

export interface WalkEntry {
  abs: string;
  dirent: Dirent;
  depth: number;
}

export interface WalkOptions {
  /** 0 = only the directory itself; Infinity = the whole tree. */
  maxDepth: number;
  includeHidden: boolean;
  signal?: AbortSignal;
}

export interface WalkResult {
  entries: WalkEntry[];
  /** True when the cap stopped the walk. */
  capped: boolean;
}

/** Breadth-first walk of `dir` (already checked against the workspace), sorted by name per directory. */
export async function walk(dir: string, ws: WorkspaceScope, o: WalkOptions): Promise<WalkResult> {
  const entries: WalkEntry[] = [];
  const queue: { path: string; depth: number }[] = [{ path: dir, depth: 0 }];
  while (queue.length > 0) {
    o.signal?.throwIfAborted();
    const { path, depth } = queue.shift()!;
    const children = await readdir(path, { withFileTypes: true }).catch(() => [] as Dirent[]);
    children.sort((a, b) => a.name.localeCompare(b.name));
    for (const d of children) {
      if (!o.includeHidden && d.name.startsWith('.')) continue;
      const abs = join(path, d.name);
      if (ws.ignores(abs)) continue;
      if (entries.length >= MAX_WALK_ENTRIES) return { entries, capped: true };
      entries.push({ abs, dirent: d, depth });
      if (d.isDirectory() && depth < o.maxDepth) queue.push({ path: abs, depth: depth + 1 });
    }
  }
  return { entries, capped: false };
}

/** `|`-separated, case-insensitive globs (`*`, `?`, `[abc]`) matched against a file name. */
export function globMatcher(pattern: unknown): (name: string) => boolean {
  const globs = (typeof pattern === 'string' && pattern.trim() ? pattern : '*')
    .split('|')
    .map((g) => g.trim())
    .filter(Boolean);
  const res = globs.map((g) => {
    let re = '';
    for (const ch of g) {
      if (ch === '*') re += '.*';
      else if (ch === '?') re += '.';
      else if (ch === '[' || ch === ']') re += ch;
      else re += ch.replace(/[.+^${}()|\\/]/g, '\\$&');
    }
    try {
      return new RegExp(`^${re}$`, 'i');
    } catch {
      return new RegExp(`^${g.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'i');
    }
  });
  return (name) => res.some((r) => r.test(name));
}

/** An integer argument with a default and bounds (models send strings and floats too). */
export function intArg(v: unknown, dflt: number, min: number, max: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v) : NaN;
  if (!Number.isFinite(n)) return dflt;
  return Math.min(max, Math.max(min, Math.trunc(n)));
}

/** A boolean argument: real booleans, and the usual strings. */
export function boolArg(v: unknown, dflt: boolean): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return ['true', '1', 'yes', 'on'].includes(v.trim().toLowerCase());
  if (typeof v === 'number') return v !== 0;
  return dflt;
}
