// A workspace with an outside world next to it: `outside/secret.txt`, a symlinked folder and a
// symlinked file inside the workspace pointing out, for the escape tests of the file tools.

import { mkdtemp, mkdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkspaceScope, runHostTool, type ToolOutcome } from '../../src/tools/index.js';

export const SECRET = 'TOPSECRET-7f3a';

export interface Sandbox {
  base: string;
  ws: string;
  outside: string;
  scope(vars?: Record<string, unknown>): WorkspaceScope;
  run(name: string, args: Record<string, unknown>, vars?: Record<string, unknown>): Promise<ToolOutcome>;
  close(): Promise<void>;
}

export async function makeSandbox(): Promise<Sandbox> {
  const base = await realpath(await mkdtemp(join(tmpdir(), 'agw-tools-')));
  const ws = join(base, 'ws');
  const outside = join(base, 'outside');
  await mkdir(join(ws, 'src'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), `${SECRET}\n`);
  await writeFile(join(ws, 'notes.txt'), 'alpha\nbeta needle\ngamma\n');
  await writeFile(join(ws, 'src', 'main.py'), 'print("needle")\n');
  await symlink(outside, join(ws, 'link-out'));
  await symlink(join(outside, 'secret.txt'), join(ws, 'secret-link.txt'));
  const scope = (vars: Record<string, unknown> = {}) => WorkspaceScope.fromVars({ workspace_root: ws, ...vars });
  return {
    base,
    ws,
    outside,
    scope,
    run: (name, args, vars) => runHostTool(name, args, { workspace: scope(vars), signal: new AbortController().signal }),
    close: () => rm(base, { recursive: true, force: true }),
  };
}

/** The outcome is a refusal naming the workspace (not some other failure). */
export function assertRefused(o: ToolOutcome, label: string): void {
  if (o.success || !/Access denied|outside the workspace|symbolic link/.test(o.error ?? '')) {
    throw new Error(`${label}: expected a workspace refusal, got ${JSON.stringify(o)}`);
  }
}
