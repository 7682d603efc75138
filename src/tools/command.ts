// execute_command (spec §7.7): a shell command run in the run's workspace (or a folder inside
// it), with a timeout, capped output, and an environment that carries none of the server's
// secrets — only a short allowlist of variables a shell needs. It is not a sandbox: the command
// itself can read what the server's user can (§7.6); approval (ABSTRACTGATEWAY_TOOL_MODE) is
// what guards it.

import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { boolArg, intArg } from './walk.js';
import { ToolError, type ToolArgs, type ToolContext } from './types.js';

/** The only variables a command inherits from the server's environment. */
export const COMMAND_ENV_ALLOWLIST = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'TERM'];
/** Bytes kept per stream (stdout, stderr); the rest is drained and dropped. */
export const COMMAND_OUTPUT_CAP = 64 * 1024;
export const DEFAULT_COMMAND_TIMEOUT_S = 300;
export const MAX_COMMAND_TIMEOUT_S = 3600;

/** Obviously destructive shapes, refused unless allow_dangerous is set (approval still applies). */
const DANGEROUS: RegExp[] = [
  /\brm\s+(-[a-z]*\s+)*-[a-z]*[rf][a-z]*\s+(-[a-z]+\s+)*(\/|~|\$HOME|\/\*)(\s|$)/i,
  /\bmkfs(\.\w+)?\b/,
  /\bdd\b[^|;&]*\bof=\/dev\//,
  /\b(shutdown|reboot|halt|poweroff)\b/,
  /:\(\)\s*\{\s*:\|:&\s*\};:/,
  />\s*\/dev\/(sd|nvme|hd)/,
];

export function commandEnv(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of COMMAND_ENV_ALLOWLIST) if (source[k] !== undefined) env[k] = source[k]!;
  return env;
}

class Capped {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  add(b: Buffer): void {
    const room = COMMAND_OUTPUT_CAP - this.size;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    if (b.length > room) this.truncated = true;
    const part = b.length > room ? b.subarray(0, room) : b;
    this.chunks.push(part);
    this.size += part.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export async function executeCommand(args: ToolArgs, ctx: ToolContext): Promise<Record<string, unknown>> {
  const command = typeof args.command === 'string' ? args.command.trim() : '';
  if (!command) throw new ToolError('command is required');
  if (!boolArg(args.allow_dangerous, false) && DANGEROUS.some((re) => re.test(command))) {
    throw new ToolError('Refused: the command looks destructive (set allow_dangerous to run it anyway)');
  }
  const cwd = await ctx.workspace.existing(args.working_directory ?? ctx.workspace.root ?? '.', 'working_directory');
  if (!(await stat(cwd)).isDirectory()) throw new ToolError(`working_directory '${args.working_directory}' is not a directory`);
  const timeoutS = intArg(args.timeout, DEFAULT_COMMAND_TIMEOUT_S, 1, MAX_COMMAND_TIMEOUT_S);
  const capture = boolArg(args.capture_output, true);
  ctx.signal.throwIfAborted();

  const child = spawn('/bin/sh', ['-c', command], { cwd, env: commandEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = new Capped();
  const stderr = new Capped();
  child.stdout.on('data', (b: Buffer) => capture && stdout.add(b));
  child.stderr.on('data', (b: Buffer) => capture && stderr.add(b));
  let timedOut = false;
  // detached: the shell leads its own process group, so a kill reaches everything it started.
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, timeoutS * 1000);
  ctx.signal.addEventListener('abort', killGroup, { once: true });
  const t0 = performance.now();
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  }).finally(() => {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', killGroup);
  });
  const result: Record<string, unknown> = {
    success: code === 0 && !timedOut,
    return_code: code,
    stdout: stdout.text(),
    stderr: stderr.text(),
    command,
    working_directory: ctx.workspace.display(cwd),
    duration_ms: Math.round(performance.now() - t0),
  };
  if (stdout.truncated || stderr.truncated) result.truncated = { stdout: stdout.truncated, stderr: stderr.truncated, cap_bytes: COMMAND_OUTPUT_CAP };
  if (timedOut) result.error = `Command timed out after ${timeoutS}s and was killed`;
  else if (signal) result.error = `Command was killed by ${signal}`;
  else if (code !== 0) result.error = `Command exited with code ${code}`;
  return result;
}
