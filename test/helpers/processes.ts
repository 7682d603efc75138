// Child processes for the crash tests: wait for a state the store shows, then stop, inspect and
// kill a process at exactly that moment. Nothing here waits for time to pass: every wait polls an
// observable condition, and its timeout only turns a hang into a failure.

import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** Polls `probe` until it returns a value other than undefined/false/null; fails after `timeoutMs`. */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  what: string | (() => string | Promise<string>),
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : await what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sends `signal` and resolves once the process has exited. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

/** Linux process state letter from /proc/<pid>/stat ('T' = stopped by a signal). */
async function processState(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/**
 * SIGSTOPs the process and resolves once the kernel reports it stopped: from then on it changes
 * nothing, so what the store shows is exactly what a SIGKILL sent now would leave behind.
 */
export async function freeze(child: ChildProcess): Promise<void> {
  child.kill('SIGSTOP');
  await waitUntil(async () => (await processState(child.pid!)) === 'T', `process ${child.pid} to stop`, 10_000);
}

/** Lets a frozen process run on. */
export function thaw(child: ChildProcess): void {
  child.kill('SIGCONT');
}

/**
 * Freezes the process and asks `inspect` about the frozen state. If it returns a value, the
 * process is SIGKILLed in that very state and the value is returned; otherwise it runs on and
 * the result is undefined (the caller tries again at its next trigger).
 */
export async function killIf<T>(child: ChildProcess, inspect: () => Promise<T | undefined>): Promise<T | undefined> {
  await freeze(child);
  let verdict: T | undefined;
  try {
    verdict = await inspect();
  } catch (err) {
    thaw(child);
    throw err;
  }
  if (verdict === undefined) thaw(child);
  else await stopProcess(child, 'SIGKILL');
  return verdict;
}
