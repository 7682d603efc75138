// The run's workspace as the file tools see it (spec runtime-visualflow §7.6): which paths a
// tool may touch, decided on the real path (symlinks resolved), so neither `../`, an absolute
// path nor a symlink planted inside the workspace reaches outside it.

import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { ToolError } from './types.js';

export type AccessMode = 'workspace_only' | 'workspace_or_allowed' | 'all_except_ignored';

const ACCESS_MODES: readonly AccessMode[] = ['workspace_only', 'workspace_or_allowed', 'all_except_ignored'];

const pathList = (v: unknown): string[] =>
  (Array.isArray(v) ? v : typeof v === 'string' ? v.split('\n') : []).map((x) => (typeof x === 'string' ? x.trim() : '')).filter(Boolean);

const inside = (p: string, root: string): boolean => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

/** realpath, or null when the path does not exist. */
async function realOrNull(p: string): Promise<string | null> {
  try {
    return await realpath(p);
  } catch {
    return null;
  }
}

interface Roots {
  allowed: string[];
  ignored: string[];
}

export class WorkspaceScope {
  private realRoots: Promise<Roots> | null = null;
  private realRoot: string | null = null;
  private realIgnored: string[] = [];

  constructor(
    /** Absolute workspace root, or null when the run has none (file tools are then refused). */
    readonly root: string | null,
    readonly mode: AccessMode,
    readonly allowed: string[],
    readonly ignored: string[],
  ) {}

  /** The scope a run's vars describe (workspace_root, workspace_access_mode, …; §1.3). */
  static fromVars(vars: Record<string, any>): WorkspaceScope {
    const raw = typeof vars.workspace_root === 'string' ? vars.workspace_root.trim() : '';
    const root = raw ? resolve(raw) : null;
    const m = typeof vars.workspace_access_mode === 'string' ? vars.workspace_access_mode.trim().toLowerCase() : '';
    const mode = (ACCESS_MODES as readonly string[]).includes(m) ? (m as AccessMode) : 'workspace_only';
    const abs = (p: string) => resolve(root ?? '/', p);
    return new WorkspaceScope(root, mode, pathList(vars.workspace_allowed_paths).map(abs), pathList(vars.workspace_ignored_paths).map(abs));
  }

  private requireRoot(): string {
    if (!this.root) throw new ToolError("This run has no workspace (workspace_root is not set), so file and command tools are disabled");
    return this.root;
  }

  /** The roots as written: the workspace, plus the allowed paths in workspace_or_allowed mode. */
  private lexical(): Roots {
    return { allowed: [this.requireRoot(), ...(this.mode === 'workspace_or_allowed' ? this.allowed : [])], ignored: this.ignored };
  }

  /** The same roots with symlinks resolved (computed once per scope). */
  private reals(): Promise<Roots> {
    this.realRoots ??= (async () => {
      const real = async (p: string) => (await realOrNull(p)) ?? p;
      const lex = this.lexical();
      const allowed = await Promise.all(lex.allowed.map(real));
      this.realRoot = allowed[0];
      this.realIgnored = await Promise.all(lex.ignored.map(real));
      return { allowed, ignored: this.realIgnored };
    })();
    return this.realRoots;
  }

  private permits(p: string, roots: Roots): boolean {
    if (roots.ignored.some((i) => inside(p, i))) return false;
    return this.mode === 'all_except_ignored' || roots.allowed.some((r) => inside(p, r));
  }

  /** Absolute form of a tool's path argument (relative paths resolve under the root); no filesystem access. */
  absolute(p: unknown, argName: string): string {
    const root = this.requireRoot();
    if (typeof p !== 'string' || !p.trim()) throw new ToolError(`${argName} must be a non-empty path`);
    if (p.includes('\0')) throw new ToolError(`${argName} contains a NUL byte`);
    return isAbsolute(p.trim()) ? resolve(p.trim()) : resolve(root, p.trim());
  }

  private refuse(p: string, why: string): never {
    throw new ToolError(`Access denied: '${p}' ${why} (workspace: ${this.root})`);
  }

  /**
   * The checked absolute path of an existing file or directory. Both the path as written and
   * its real target must lie in the scope: a symlink inside the workspace pointing out is refused.
   */
  async existing(p: unknown, argName: string): Promise<string> {
    const abs = this.absolute(p, argName);
    const roots = await this.reals();
    if (!this.permits(abs, this.lexical())) this.refuse(String(p), 'is outside the workspace');
    const real = await realOrNull(abs);
    if (real === null) throw new ToolError(`No such file or directory: '${p}'`);
    if (!this.permits(real, roots)) this.refuse(String(p), 'resolves (through a symbolic link) outside the workspace');
    return real;
  }

  /**
   * The checked absolute path a file may be created or replaced at: its nearest existing
   * ancestor must really lie in the scope, and the file itself must not be a symbolic link.
   * (Writers also open with O_NOFOLLOW, so a link planted after this check is not followed.)
   */
  async writable(p: unknown, argName: string): Promise<string> {
    const abs = this.absolute(p, argName);
    const roots = await this.reals();
    if (!this.permits(abs, this.lexical())) this.refuse(String(p), 'is outside the workspace');
    const st = await lstat(abs).catch(() => null);
    if (st?.isSymbolicLink()) this.refuse(String(p), 'is a symbolic link; tools do not write through links');
    if (st?.isDirectory()) throw new ToolError(`'${p}' is a directory`);
    let ancestor = dirname(abs);
    let real = await realOrNull(ancestor);
    while (real === null && dirname(ancestor) !== ancestor) {
      ancestor = dirname(ancestor);
      real = await realOrNull(ancestor);
    }
    const target = real === null ? abs : resolve(real, relative(ancestor, abs));
    if (!this.permits(target, roots)) this.refuse(String(p), 'resolves (through a symbolic link) outside the workspace');
    return target;
  }

  /** True for paths under an ignored path (listings and searches skip them). */
  ignores(abs: string): boolean {
    return [...this.ignored, ...this.realIgnored].some((i) => inside(abs, i));
  }

  /** A checked path for display: relative to the workspace when inside it. */
  display(abs: string): string {
    for (const root of [this.realRoot, this.root]) {
      if (root && inside(abs, root)) return relative(root, abs) || '.';
    }
    return abs;
  }
}
