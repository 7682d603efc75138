// The `abstractgateway` CLI as a real child process (serve, runner), for the CLI and cluster tests.

import { spawn, type ChildProcess } from 'node:child_process';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;

export interface Proc {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the base URL once the server logs that it listens. */
  url: Promise<string>;
  exit: Promise<number | null>;
}

export function launch(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += String(d);
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', () => reject(new Error(`exited before listening:\n${out}`)));
  });
  url.catch(() => undefined);
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, url, exit };
}
