// HTTP benchmarks of the gateway (see bench/README.md for what each number means).
// The server is the real CLI (`node dist/src/cli/main.js serve`) in a child process; the load
// generator is this process (and, for the 10k-stream test, one more child). All on 127.0.0.1.
//
//   npm run bench:http                     # all scenarios, 3 repetitions, medians reported
//   node dist/bench/http.bench.js --reps 1 --only runs,ledger,reads,stalled,sse,sse-split,sse-inproc,commands,fanout,langgraph
//   LANGGRAPH_PEER_DIR=/tmp/peer ...       # also measure the LangGraph.js dev server (installed there)

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { Gateway } from '../src/app/gateway.js';
import { buildApp } from '../src/http/app.js';
import { makeRecord } from '../src/runtime/records.js';
import { nowIso } from '../src/model/time.js';
import { writeBundleDir } from '../test/helpers/bundles.js';
import { BUNDLE, Client, FLOWS, TOKEN, cannon, cpuMs, median, newServer, now, openStream, rssMiB, sleep, summary, type RpsResult } from './http-kit.js';
import { readPaths, stalledStreams } from './http-reads.js';
import { WARMUP, commandApplied, pool, sseViaCommand, trivialRuns, type LatResult } from './http-scenarios.js';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    only: { type: 'string' },
    runs: { type: 'string', default: '5000' },
    streams: { type: 'string', default: '10000' },
    samples: { type: 'string', default: '1000' },
    json: { type: 'string' },
  },
});
const REPS = Number(args.reps);
const ONLY = args.only ? new Set(args.only.split(',')) : null;
const want = (name: string) => !ONLY || ONLY.has(name);
const N_RUNS = Number(args.runs);
const N_STREAMS = Number(args.streams);
const N_SAMPLES = Number(args.samples);

const r1 = (n: number) => (Number.isFinite(n) ? (Math.round(n * 10) / 10).toString() : 'n/a');
const r2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const log = (msg: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg} (load ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);

// ---------------------------------------------------------------- fixtures

/** Runs `fn` REPS times; each repetition gets a fresh server via fn itself. */
async function repeat<T>(name: string, fn: (rep: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let rep = 1; rep <= REPS; rep++) {
    log(`${name}: repetition ${rep}/${REPS}`);
    out.push(await fn(rep));
    log(`${name}: ${JSON.stringify(out.at(-1))}`);
  }
  return out;
}

// ---------------------------------------------------------------- 2. ledger page of 200

async function ledgerPage(connections = 8, duration = 10): Promise<RpsResult & { records: number }> {
  const s = await newServer();
  try {
    const id = await s.client.start('chatty', { n: 150 });
    const run = await s.client.waitFor(id, (r) => r.status === 'completed');
    const page = await s.client.json('GET', `/api/gateway/runs/${id}/ledger?after=0&limit=200`);
    if (page.items.length !== 200) throw new Error(`expected a page of 200, got ${page.items.length}`);
    const url = `http://127.0.0.1:${s.srv.port}/api/gateway/runs/${id}/ledger?after=0&limit=200`;
    await cannon(url, { authorization: `Bearer ${TOKEN}` }, connections, 2); // warm-up
    return { ...(await cannon(url, { authorization: `Bearer ${TOKEN}` }, connections, duration)), records: run.ledger_len };
  } finally {
    await s.close();
  }
}

// ---------------------------------------------------------------- 3b. append → SSE delivery (in process)

async function sseInProcess(samples: number): Promise<LatResult> {
  const root = await mkdtemp(join(tmpdir(), 'agw-httpbench-'));
  const flowsDir = join(root, 'flows');
  await mkdir(flowsDir, { recursive: true });
  await writeBundleDir(flowsDir, BUNDLE, FLOWS);
  const env = { ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN, ABSTRACTGATEWAY_DATA_DIR: join(root, 'data'), ABSTRACTGATEWAY_FLOWS_DIR: flowsDir };
  const gateway = (await Gateway.open(loadConfig(env))).start();
  const app = await buildApp({ gateway, env });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const client = new Client(port);
  try {
    const id = await client.start('echo');
    await client.waitFor(id, (r) => r.status === 'waiting');
    const run = (await gateway.root.runtime.getRun(id))!;
    const scope = gateway.store.scope(gateway.root.runtimeId);
    let steps = 0;
    let wake: (() => void) | null = null;
    let arrived = 0;
    const stream = await openStream(port, `/api/gateway/runs/${id}/ledger/stream?heartbeat_s=30`, (event) => {
      if (event !== 'step') return;
      steps++;
      arrived = performance.now();
      wake?.();
    });
    const until = async (pred: () => boolean) => {
      while (!pred()) await new Promise<void>((r) => (wake = r));
      wake = null;
    };
    const { ledger_len } = await client.run(id);
    await until(() => steps >= ledger_len);
    const lat: number[] = [];
    const commit: number[] = [];
    for (let i = 0; i < samples + WARMUP; i++) {
      const rec = makeRecord(run, { node_id: 'say', status: 'completed', effect: { type: 'answer_user', payload: { message: `m${i}` }, result_key: null }, result: { message: `m${i}`, level: 'message' } }, nowIso());
      const before = steps;
      const t0 = performance.now();
      await scope.tx((tx) => tx.appendLedger(id, [rec]));
      const tc = performance.now();
      await until(() => steps > before);
      if (i >= WARMUP) {
        lat.push(arrived - t0);
        commit.push(tc - t0);
      }
    }
    stream.req.destroy();
    const l = summary(lat);
    const c = summary(commit);
    return { n: l.n, p50: l.p50, p99: l.p99, max: l.max, commitP50: c.p50, commitP99: c.p99 };
  } finally {
    client.close();
    await app.close();
    await gateway.close();
    await rm(root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- 4. 10,000 concurrent SSE streams

interface FanoutResult {
  streams: number;
  ok200: number;
  replayed: number;
  failed: number;
  openS: number;
  rssIdleMiB: number;
  rssOpenMiB: number;
  rssAfterMiB: number;
  idleCpuPct: number;
  firstP50: number;
  firstP99: number;
  firstMax: number;
  allMax: number;
  delivered: number;
}

async function fanout(total: number, runsCount = 10): Promise<FanoutResult> {
  const s = await newServer();
  const swarmJs = fileURLToPath(new URL('./sse-swarm.js', import.meta.url));
  const child = spawn('bash', ['-c', `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "${process.execPath}" "${swarmJs}"`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox: any[] = [];
  let waiter: (() => void) | null = null;
  child.on('message', (m) => {
    inbox.push(m);
    waiter?.();
  });
  const next = async (type: string, timeoutMs = 300_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return inbox.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error(`swarm: no '${type}' message`);
      await Promise.race([new Promise<void>((r) => (waiter = r)), sleep(1000)]);
    }
  };
  try {
    await next('hello');
    const runs: { run_id: string; ledger_len: number }[] = [];
    for (let i = 0; i < runsCount; i++) runs.push({ run_id: await s.client.start('echo'), ledger_len: 0 });
    for (const r of runs) r.ledger_len = (await s.client.waitFor(r.run_id, (x) => x.status === 'waiting')).ledger_len;
    await sleep(500);
    const rssIdleMiB = rssMiB(s.srv.pid);
    child.send({ type: 'open', port: s.srv.port, runs, perRun: Math.ceil(total / runsCount), inFlight: 64 });
    const ready = await next('ready');
    await sleep(1000);
    const rssOpenMiB = rssMiB(s.srv.pid);
    // Server CPU while 10k streams sit idle (fallback poll, heartbeat timers).
    const c0 = cpuMs(s.srv.pid);
    const w0 = Date.now();
    await sleep(5000);
    const idleCpuPct = ((cpuMs(s.srv.pid) - c0) / (Date.now() - w0)) * 100;
    child.send({ type: 'broadcast', timeoutMs: 60_000 });
    const d = await next('delivered', 120_000);
    const rssAfterMiB = rssMiB(s.srv.pid);
    return {
      streams: ready.requested,
      ok200: ready.ok200,
      replayed: ready.replayed,
      failed: ready.failed,
      openS: ready.openMs / 1000,
      rssIdleMiB,
      rssOpenMiB,
      rssAfterMiB,
      idleCpuPct,
      firstP50: d.first?.p50,
      firstP99: d.first?.p99,
      firstMax: d.first?.max,
      allMax: d.full?.max,
      delivered: d.gotAll,
    };
  } finally {
    child.send({ type: 'exit' });
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    await s.close();
  }
}

// ---------------------------------------------------------------- 6. LangGraph.js dev server

const LG_GRAPH = `import { StateGraph, Annotation, START, END } from '@langchain/langgraph';
const State = Annotation.Root({ x: Annotation(), out: Annotation() });
export const graph = new StateGraph(State)
  .addNode('echo', (s) => ({ out: s.x }))
  .addEdge(START, 'echo')
  .addEdge('echo', END)
  .compile();
`;

async function langgraph(peerDir: string): Promise<Record<string, number | string>> {
  const proj = join(peerDir, 'bench-graph');
  await mkdir(proj, { recursive: true });
  await writeFile(join(proj, 'graph.mjs'), LG_GRAPH);
  await writeFile(join(proj, 'langgraph.json'), JSON.stringify({ node_version: '20', graphs: { trivial: './graph.mjs:graph' }, env: {} }));
  const { freePort } = await import('./http-kit.js');
  const port = await freePort();
  const bin = join(peerDir, 'node_modules', '.bin', 'langgraphjs');
  const child = spawn(bin, ['dev', '--host', '127.0.0.1', '--port', String(port), '--no-browser', '--no-reload'], {
    cwd: proj,
    env: { ...process.env, LANGSMITH_TRACING: 'false', LANGCHAIN_TRACING_V2: 'false', DO_NOT_TRACK: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const base = `http://127.0.0.1:${port}`;
  const post = async (path: string, body: unknown) => {
    const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${path} → ${r.status} ${await r.text()}`);
    return r.json() as Promise<any>;
  };
  try {
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        if ((await fetch(`${base}/ok`)).ok) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`langgraph dev did not start: ${out.slice(-2000)}`);
      await sleep(250);
    }
    // Runs: stateless POST /runs/wait at 8 and 48 concurrent clients for a fixed number of runs.
    const result: Record<string, number | string> = {};
    for (const conc of [8, 48]) {
      const n = conc * 10;
      const lat: number[] = [];
      const t0 = now();
      await pool(Array.from({ length: n }), conc, async (_, i) => {
        const a = now();
        const r = await post('/runs/wait', { assistant_id: 'trivial', input: { x: i } });
        if (r.out !== i) throw new Error(`unexpected output ${JSON.stringify(r)}`);
        lat.push(now() - a);
      });
      const sec = (now() - t0) / 1000;
      const sm = summary(lat);
      result[`runsWait_c${conc}_perS`] = n / sec;
      result[`runsWait_c${conc}_p50`] = sm.p50;
      result[`runsWait_c${conc}_p99`] = sm.p99;
    }
    // History read: a thread with 100 runs, then GET-like POST /threads/{t}/history {limit: 200}.
    const thread = await post('/threads', {});
    for (let i = 0; i < 70; i++) await post(`/threads/${thread.thread_id}/runs/wait`, { assistant_id: 'trivial', input: { x: i } });
    const hist = await post(`/threads/${thread.thread_id}/history`, { limit: 200 });
    result.historyItems = hist.length;
    const h = await cannon(`${base}/threads/${thread.thread_id}/history`, { 'content-type': 'application/json' }, 8, 10, { method: 'POST', body: JSON.stringify({ limit: 200 }) });
    result.historyRps = h.rps;
    result.historyP50 = h.p50;
    result.historyP99 = h.p99;
    result.historyBytes = h.bytesPerReq;
    result.historyNon2xx = h.non2xx;
    const st = await cannon(`${base}/threads/${thread.thread_id}/state`, {}, 8, 10);
    result.stateRps = st.rps;
    result.stateP50 = st.p50;
    return result;
  } finally {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    await sleep(500);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

// ---------------------------------------------------------------- main

const results: Record<string, unknown> = {};
const rows: [string, string, string, string][] = [];
const pick = <T>(xs: T[], key: keyof T) => median(xs.map((x) => Number(x[key])));
const spread = <T>(xs: T[], key: keyof T, f: (n: number) => string) => (xs.length > 1 ? ` (runs: ${xs.map((x) => f(Number(x[key]))).join(', ')})` : '');

log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB`);

if (want('runs')) {
  const xs = await repeat('trivial runs', () => trivialRuns(N_RUNS));
  results.runs = xs;
  const bad = xs.filter((x) => x.completed !== x.runs).length;
  rows.push([`trivial runs start→terminal over HTTP (${int(N_RUNS)} runs, 48 concurrent POST /runs/start)`, `${int(pick(xs, 'runsPerS'))} runs/s${spread(xs, 'runsPerS', int)}; start p50 ${r1(pick(xs, 'startP50'))} ms / p99 ${r1(pick(xs, 'startP99'))} ms; run created→completed p50 ${r1(pick(xs, 'e2eP50'))} ms / p99 ${r1(pick(xs, 'e2eP99'))} ms${bad ? `; ${bad} reps had incomplete runs!` : '; all runs completed'}`, '≥ 1,000 runs/s', pick(xs, 'runsPerS') >= 1000 ? 'met' : 'MISSED']);
}
if (want('ledger')) {
  const xs = await repeat('ledger page', () => ledgerPage());
  results.ledger = xs;
  rows.push([`GET /runs/{id}/ledger?limit=200 (autocannon, 8 connections, 10 s)`, `${int(pick(xs, 'rps'))} req/s${spread(xs, 'rps', int)}; p50 ${pick(xs, 'p50')} ms / p99 ${pick(xs, 'p99')} ms; ${int(pick(xs, 'bytesPerReq'))} B/response; non-2xx ${pick(xs, 'non2xx')}`, '≥ 10,000 req/s', pick(xs, 'rps') >= 10_000 ? 'met' : 'MISSED']);
}
if (want('reads')) {
  const xs = await repeat('read paths', () => readPaths());
  results.reads = xs;
  rows.push([`GET /api/health (autocannon, 32 connections, 10 s)`, `${int(pick(xs, 'healthRps'))} req/s${spread(xs, 'healthRps', int)}`, '', '']);
  rows.push([`GET /runs/{id} (autocannon, 32 connections, 10 s)`, `${int(pick(xs, 'runRps'))} req/s${spread(xs, 'runRps', int)}; p99 ${pick(xs, 'runP99')} ms; ${int(pick(xs, 'runBytes'))} B/response`, '≥ 10,000 req/s', pick(xs, 'runRps') >= 10_000 ? 'met' : 'MISSED']);
  rows.push([`GET /runs/{id}/ledger?limit=200 of a ${pick(xs, 'pageRecords')}-record run (autocannon, 32 connections, 10 s)`, `${int(pick(xs, 'pageRps'))} req/s${spread(xs, 'pageRps', int)}; p99 ${pick(xs, 'pageP99')} ms; ${int(pick(xs, 'pageBytes'))} B/response`, '≥ 4,730 req/s (10× the reference)', pick(xs, 'pageRps') >= 4730 ? 'met' : 'MISSED']);
}
if (want('stalled')) {
  const xs = await repeat('stalled streams', () => stalledStreams());
  results.stalled = xs;
  rows.push([`GET /api/health while ${int(pick(xs, 'streams'))} SSE clients of a ${int(pick(xs, 'records'))}-record run never read (autocannon, 32 connections, 10 s)`, `p50 ${pick(xs, 'healthP50')} ms / p99 ${pick(xs, 'healthP99')} ms${spread(xs, 'healthP99', String)}; ${int(pick(xs, 'healthRps'))} req/s; server RSS ${int(pick(xs, 'rssIdleMiB'))} MiB → ${int(pick(xs, 'rssStalledMiB'))} MiB with the streams open; ${pick(xs, 'closedByServer')} closed by the server during the measurement`, '', '']);
}
if (want('sse-inproc')) {
  const xs = await repeat('append→SSE in-process', () => sseInProcess(N_SAMPLES));
  results.sseInProcess = xs;
  const ok = pick(xs, 'p50') <= 2 && pick(xs, 'p99') <= 10;
  rows.push([`ledger append (commit) → SSE frame received, same process, real socket (${N_SAMPLES} samples)`, `p50 ${r2(pick(xs, 'p50'))} ms / p99 ${r2(pick(xs, 'p99'))} ms${spread(xs, 'p50', r2)}; of which commit p50 ${r2(pick(xs, 'commitP50'))} ms`, 'p50 ≤ 2 ms, p99 ≤ 10 ms', ok ? 'met' : 'MISSED']);
}
if (want('sse')) {
  const xs = await repeat('command→SSE', () => sseViaCommand(N_SAMPLES));
  results.sseViaCommand = xs;
  rows.push([`POST /commands resume → first new SSE frame, server in its own process (${N_SAMPLES} samples; upper bound: includes command application)`, `p50 ${r2(pick(xs, 'p50'))} ms / p99 ${r2(pick(xs, 'p99'))} ms${spread(xs, 'p50', r2)}; → next 'waiting' frame p50 ${r2(pick(xs, 'waitingP50'))} ms / p99 ${r2(pick(xs, 'waitingP99'))} ms`, '(p50 ≤ 2 ms, p99 ≤ 10 ms for append → delivery)', pick(xs, 'p50') <= 2 && pick(xs, 'p99') <= 10 ? 'met' : 'see note']);
}
if (want('sse-split')) {
  const xs = await repeat('command→SSE split', () => sseViaCommand(N_SAMPLES, { topology: { runners: 1 } }));
  results.sseViaCommandSplit = xs;
  rows.push([`split mode (serve --no-runner + runner process): POST /commands resume → first new SSE frame (${N_SAMPLES} samples)`, `p50 ${r2(pick(xs, 'p50'))} ms / p99 ${r2(pick(xs, 'p99'))} ms${spread(xs, 'p50', r2)}; → next 'waiting' frame p50 ${r2(pick(xs, 'waitingP50'))} ms`, 'p50 ≤ 10 ms', pick(xs, 'p50') <= 10 ? 'met' : 'MISSED']);
}
if (want('commands')) {
  const xs = await repeat('command applied', () => commandApplied(N_SAMPLES));
  results.commands = xs;
  rows.push([`POST /commands emit_event → GET /commands/{id} shows applied (tight poll, ${N_SAMPLES} samples)`, `p50 ${r2(pick(xs, 'p50'))} ms / p99 ${r2(pick(xs, 'p99'))} ms${spread(xs, 'p50', r2)}; POST ack p50 ${r2(pick(xs, 'ackP50'))} ms; ${r1(pick(xs, 'pollsPerCmd'))} polls/command; rejected ${pick(xs, 'rejected')}`, 'p50 ≤ 5 ms', pick(xs, 'p50') <= 5 ? 'met' : 'MISSED']);
}
if (want('fanout')) {
  const saved = REPS;
  const xs: FanoutResult[] = [];
  for (let rep = 1; rep <= Math.min(saved, 2); rep++) {
    log(`fan-out: repetition ${rep}`);
    xs.push(await fanout(N_STREAMS));
    log(`fan-out: ${JSON.stringify(xs.at(-1))}`);
  }
  results.fanout = xs;
  const ok = xs.every((x) => x.ok200 === x.streams && x.replayed === x.streams && x.delivered === x.streams);
  rows.push([`${int(N_STREAMS)} concurrent SSE streams (10 waiting runs × ${int(N_STREAMS / 10)}), one server process`, `${ok ? 'all 200 + replayed + broadcast delivered' : 'NOT all streams ok: ' + JSON.stringify(xs.map((x) => [x.ok200, x.replayed, x.delivered]))}; RSS ${int(pick(xs, 'rssIdleMiB'))} MiB idle → ${int(pick(xs, 'rssOpenMiB'))} MiB open → ${int(pick(xs, 'rssAfterMiB'))} MiB after broadcast; open all in ${r1(pick(xs, 'openS'))} s; idle server CPU ${r1(pick(xs, 'idleCpuPct'))} %; broadcast (1 resume per run) → first new frame on every stream: p50 ${int(pick(xs, 'firstP50'))} ms, p99 ${int(pick(xs, 'firstP99'))} ms, last ${int(pick(xs, 'firstMax'))} ms; whole step on every stream ${int(pick(xs, 'allMax'))} ms`, '≥ 10,000 streams, < 1 GiB RSS', ok && pick(xs, 'rssAfterMiB') < 1024 ? 'met' : 'MISSED']);
}
const peer = process.env.LANGGRAPH_PEER_DIR;
if (want('langgraph') && peer) {
  if (!existsSync(join(peer, 'node_modules', '.bin', 'langgraphjs'))) log(`LANGGRAPH_PEER_DIR=${peer} has no node_modules/.bin/langgraphjs: skipped`);
  else {
    const xs: Record<string, number | string>[] = [];
    for (let rep = 1; rep <= Math.min(REPS, 2); rep++) {
      log(`langgraph dev: repetition ${rep}`);
      xs.push(await langgraph(peer));
      log(`langgraph dev: ${JSON.stringify(xs.at(-1))}`);
    }
    results.langgraph = xs;
    rows.push([`LangGraph.js dev server: POST /runs/wait (stateless one-node graph)`, `8 concurrent: ${r1(pick(xs, 'runsWait_c8_perS'))} runs/s (p50 ${int(pick(xs, 'runsWait_c8_p50'))} ms); 48 concurrent: ${r1(pick(xs, 'runsWait_c48_perS'))} runs/s (p50 ${int(pick(xs, 'runsWait_c48_p50'))} ms)`, 'peer', '']);
    rows.push([`LangGraph.js dev server: POST /threads/{t}/history {limit:200} (autocannon, 8 conn, 10 s)`, `${int(pick(xs, 'historyRps'))} req/s, p50 ${pick(xs, 'historyP50')} ms (${pick(xs, 'historyItems')} checkpoints, ${int(pick(xs, 'historyBytes'))} B/response); GET /threads/{t}/state ${int(pick(xs, 'stateRps'))} req/s`, 'peer', '']);
  }
}

console.log(`\nNode ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ${new Date().toISOString()}, load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${REPS} repetition(s), medians\n`);
console.log('| measure | result | target | |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
if (args.json) await writeFile(args.json, JSON.stringify(results, null, 2));
