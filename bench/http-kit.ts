// Shared pieces of the HTTP benchmarks: the benchmark flows, a keep-alive JSON client over
// node:http, the gateway server as a child process (the real CLI `serve`), and statistics.

import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { exec, data, wire, flowOf, pure } from '../test/flow/flowkit.js';
import { writeBundleDir } from '../test/helpers/bundles.js';
import { createTestDatabase } from '../test/helpers/postgres.js';
import type { VisualFlow } from '../src/flow/types.js';

export const TOKEN = 'bench-token-0123456789abcdef0123';
export const BUNDLE = 'httpbench';
export const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** on_flow_start → on_flow_end: the smallest complete run (3 ledger records incl. terminal). */
export const trivialFlow: VisualFlow = flowOf(
  [exec('start', 'on_flow_start', { entry: true, outputs: ['x'] }), exec('end', 'on_flow_end', { inputs: ['x'], execOuts: [] })],
  [wire('start', 'end'), data('start', 'x', 'end', 'x')],
  { id: 'trivial' },
);

/** for i in [0, n): answer_user "line<i>" → 2 ledger records per iteration. */
export const chattyFlow: VisualFlow = flowOf(
  [
    exec('start', 'on_flow_start', { entry: true, outputs: ['n'] }),
    exec('for', 'for', { inputs: ['start', 'end'], execOuts: ['loop', 'done'], outputs: ['i'], pinDefaults: { start: 0 } }),
    pure('msg', 'concat', { inputs: ['a', 'b'], pinDefaults: { a: 'line' } }),
    exec('say', 'answer_user', { inputs: ['message'] }),
    exec('end', 'on_flow_end', { inputs: [], execOuts: [] }),
  ],
  [wire('start', 'for'), data('start', 'n', 'for', 'end'), wire('for', 'say', 'loop'), data('for', 'i', 'msg', 'b'), data('msg', 'result', 'say', 'message'), wire('for', 'end', 'done')],
  { id: 'chatty' },
);

/** Waits for an answer, echoes it, waits again (never ends): each resume appends new records. */
export const echoFlow: VisualFlow = flowOf(
  [
    exec('start', 'on_flow_start', { entry: true, outputs: [] }),
    exec('w', 'while', { inputs: ['condition'], execOuts: ['loop', 'done'], pinDefaults: { condition: true } }),
    exec('ask', 'ask_user', { inputs: ['prompt'], outputs: ['response'], pinDefaults: { prompt: 'next?' } }),
    exec('say', 'answer_user', { inputs: ['message'] }),
    exec('end', 'on_flow_end', { inputs: [], execOuts: [] }),
  ],
  [wire('start', 'w'), wire('w', 'ask', 'loop'), wire('ask', 'say'), data('ask', 'response', 'say', 'message'), wire('w', 'end', 'done')],
  { id: 'echo' },
);

export const FLOWS = [trivialFlow, chattyFlow, echoFlow];

// ---------------------------------------------------------------- statistics

export const now = () => performance.timeOrigin + performance.now(); // epoch ms, sub-ms resolution, comparable across processes

export function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function summary(samples: number[]): { n: number; p50: number; p90: number; p99: number; max: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p90: pct(s, 90), p99: pct(s, 99), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

export const median = (xs: number[]) => summary(xs).p50;

// ---------------------------------------------------------------- HTTP client

export interface Reply {
  status: number;
  body: any;
}

export class Client {
  readonly agent: http.Agent;
  constructor(
    readonly port: number,
    readonly token = TOKEN,
    sockets = 64,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  request(method: string, path: string, body?: unknown): Promise<Reply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: { authorization: `Bearer ${this.token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: any = text;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch {
              /* keep text */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async json(method: string, path: string, body?: unknown): Promise<any> {
    const r = await this.request(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  start(flowId: string, input: Record<string, unknown> = {}): Promise<string> {
    return this.json('POST', '/api/gateway/runs/start', { bundle_id: BUNDLE, flow_id: flowId, input_data: input }).then((b) => b.run_id);
  }

  run(id: string): Promise<any> {
    return this.json('GET', `/api/gateway/runs/${id}`);
  }

  async waitFor(id: string, pred: (r: any) => boolean, timeoutMs = 30_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.run(id);
      if (pred(r)) return r;
      if (Date.now() > deadline) throw new Error(`timeout waiting for run ${id}: ${JSON.stringify(r).slice(0, 300)}`);
      await sleep(5);
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

// ---------------------------------------------------------------- the server child process

export interface ServerProc {
  /** The first API node's port (the one `newServer`'s client talks to). */
  port: number;
  /** Every API node's port, first one first. */
  ports: number[];
  pid: number;
  /** Every process: API nodes first, then runners. */
  pids: number[];
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * How the gateway is laid out in processes: `apiNodes` × `serve` and `runners` × `runner`
 * sharing one store. With no runner process, the first API node runs the runner itself.
 */
export interface Topology {
  apiNodes?: number;
  runners?: number;
}

/**
 * Starts `node dist/src/cli/main.js serve` in its own process (own event loop; the two cores are
 * still shared with the load generator). The shell raises the fd soft limit first. With
 * `split` (= one API node + one runner process, or a Topology), the API nodes run `--no-runner`
 * and separate `runner` processes share the store.
 */
export async function startServer(dataDir: string, flowsDir: string, extraEnv: Record<string, string> = {}, split: boolean | Topology = false, cli = CLI): Promise<ServerProc> {
  const { apiNodes = 1, runners = 0 } = split === true ? { runners: 1 } : split || {};
  const env = { ...process.env, ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN, ABSTRACTGATEWAY_DATA_DIR: dataDir, ABSTRACTGATEWAY_FLOWS_DIR: flowsDir, ...extraEnv };
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const stop = () => Promise.all(children.map(stopChild)).then(() => undefined);
  try {
    for (let i = 0; i < apiNodes; i++) {
      ports.push(await freePort());
      const inProcessRunner = runners === 0 && i === 0;
      children.push(await spawnCli(cli, `serve --host 127.0.0.1 --port ${ports[i]}${inProcessRunner ? '' : ' --no-runner'}`, env, 'listening on'));
    }
    for (let i = 0; i < runners; i++) children.push(await spawnCli(cli, 'runner', env, 'bundle(s) from'));
  } catch (err) {
    await stop();
    throw err;
  }
  return { port: ports[0], ports, pid: children[0].pid!, pids: children.map((c) => c.pid!), child: children[0], stop };
}

/** One CLI process; resolves once its log shows `ready`. */
async function spawnCli(cli: string, args: string, env: NodeJS.ProcessEnv, ready: string): Promise<ChildProcess> {
  // AGW_BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles only the server.
  const nodeArgs = process.env.AGW_BENCH_SERVER_NODE_ARGS ?? '';
  const child = spawn('bash', ['-c', `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "${process.execPath}" ${nodeArgs} "${cli}" ${args}`], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args} did not start: ${log}`)), 20_000);
    child.stderr!.on('data', (c) => {
      log += c;
      if (log.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`${args} exited (${code}): ${log}`)));
  });
  child.stderr!.on('data', (c) => {
    if (/error|warning/i.test(String(c))) process.stderr.write(`[${args.split(' ')[0]}] ${c}`);
  });
  return child;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export type Backend = 'sqlite' | 'postgres';

/**
 * A fresh server (own processes) on a fresh data dir with the benchmark flows installed; on
 * `postgres`, also a fresh database on the machine's server (dropped by close()).
 */
export async function newServer(
  extraEnv: Record<string, string> = {},
  split: boolean | Topology = false,
  backend: Backend = 'sqlite',
): Promise<{ srv: ServerProc; client: Client; root: string; close(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'agw-httpbench-'));
  const flowsDir = join(root, 'flows');
  await mkdir(flowsDir, { recursive: true });
  await writeBundleDir(flowsDir, BUNDLE, FLOWS);
  const db = backend === 'postgres' ? await createTestDatabase() : undefined;
  const storeEnv: Record<string, string> = db ? { ABSTRACTGATEWAY_STORE_BACKEND: 'postgres', ABSTRACTGATEWAY_DATABASE_URL: db.url } : {};
  const srv = await startServer(join(root, 'data'), flowsDir, { ...storeEnv, ...extraEnv }, split);
  const client = new Client(srv.port);
  return {
    srv,
    client,
    root,
    async close() {
      client.close();
      await srv.stop();
      await db?.drop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface RpsResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  bytesPerReq: number;
}

/** autocannon against one URL; latencies in ms. */
export async function cannon(url: string, headers: Record<string, string>, connections: number, duration: number, extra: Partial<autocannon.Options> = {}): Promise<RpsResult> {
  const res = await autocannon({ url, headers, connections, duration, ...extra });
  return {
    rps: res.requests.average,
    p50: res.latency.p50,
    p99: res.latency.p99,
    non2xx: res.non2xx,
    errors: res.errors + res.timeouts,
    bytesPerReq: res.throughput.total / Math.max(1, res.requests.total),
  };
}

/** VmRSS of a process in MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** utime+stime of a process in ms. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ = 100)
}

/** utime+stime in ms of every process named `postgres` (the server and its backends) still alive. */
export function postgresCpuMs(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += cpuMs(Number(pid));
    } catch {
      /* exited meanwhile */
    }
  }
  return total;
}

// ---------------------------------------------------------------- SSE parsing

/** Incremental SSE parser: calls onFrame for each complete frame. */
export class SseParser {
  private buf = '';
  constructor(private readonly onFrame: (event: string | undefined, id: string | undefined, data: string | undefined) => void) {}
  push(chunk: string): void {
    this.buf += chunk;
    let idx;
    while ((idx = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, idx);
      this.buf = this.buf.slice(idx + 2);
      let event: string | undefined;
      let id: string | undefined;
      let dataLine: string | undefined;
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('data: ')) dataLine = line.slice(6);
      }
      this.onFrame(event, id, dataLine);
    }
  }
}

/** Opens one SSE stream with its own socket (no agent pooling). */
export function openStream(
  port: number,
  path: string,
  onFrame: (event: string | undefined, id: string | undefined, data: string | undefined) => void,
  opts: { token?: string; onEnd?: () => void } = {},
): Promise<{ status: number; req: http.ClientRequest; res: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false, headers: { authorization: `Bearer ${opts.token ?? TOKEN}`, accept: 'text/event-stream' } }, (res) => {
      const parser = new SseParser(onFrame);
      res.setEncoding('utf8');
      res.on('data', (c: string) => parser.push(c));
      res.on('end', () => opts.onEnd?.());
      res.on('error', () => opts.onEnd?.());
      resolve({ status: res.statusCode ?? 0, req, res });
    });
    req.on('error', reject);
    req.end();
  });
}
