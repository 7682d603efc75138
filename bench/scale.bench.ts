// Scale-out benchmarks, SQLite and PostgreSQL side by side on the same machine in the same run
// (issue 10): trivial runs start → terminal with 1 and with 2 `runner` processes behind one
// `serve --no-runner` API node; command → SSE delivery and command → applied across nodes (two
// API nodes + one runner process: commands go to node A, the stream and the polls to node B).
// PostgreSQL runs on a fresh database of the machine's server (127.0.0.1:5432), dropped after.
//
//   npm run build && node dist/bench/scale.bench.js [--reps 1] [--runs 3000] [--samples 500] [--backends sqlite,postgres]

import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { median, type Backend } from './http-kit.js';
import { commandApplied, sseViaCommand, trivialRuns, type Setup } from './http-scenarios.js';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '1' },
    runs: { type: 'string', default: '3000' },
    samples: { type: 'string', default: '500' },
    backends: { type: 'string', default: 'sqlite,postgres' },
  },
});
const REPS = Number(args.reps);
const N_RUNS = Number(args.runs);
const N_SAMPLES = Number(args.samples);
const BACKENDS = args.backends.split(',') as Backend[];

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const log = (msg: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg} (load ${load()})\n`);
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const r2 = (n: number) => n.toFixed(2);

async function repeat<T extends object>(name: string, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let rep = 1; rep <= REPS; rep++) {
    log(`${name}: repetition ${rep}/${REPS}`);
    out.push(await fn());
    log(`${name}: ${JSON.stringify(out.at(-1))}`);
  }
  return out;
}
const pick = <T>(xs: T[], key: keyof T) => median(xs.map((x) => Number(x[key])));

log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB`);
const rows: string[][] = [];
for (const backend of BACKENDS) {
  for (const runners of [1, 2]) {
    const setup: Setup = { backend, topology: { apiNodes: 1, runners } };
    const xs = await repeat(`${backend} trivial runs, ${runners} runner(s)`, () => trivialRuns(N_RUNS, setup));
    rows.push([
      backend,
      `trivial runs start → terminal, 1 API node + ${runners} runner process${runners > 1 ? 'es' : ''} (${int(N_RUNS)} runs, 48 in flight)`,
      `**${int(pick(xs, 'runsPerS'))} runs/s**; all completed: ${xs.every((x) => x.completed === x.runs)}; created → completed p50 ${int(pick(xs, 'e2eP50'))} ms`,
      `API ${int(pick(xs, 'apiCpuPct'))} %, runner(s) ${int(pick(xs, 'runnerCpuPct'))} %, PostgreSQL ${int(pick(xs, 'postgresCpuPct'))} %; load ${pick(xs, 'load1').toFixed(1)}`,
    ]);
  }
  const across: Setup = { backend, topology: { apiNodes: 2, runners: 1 } };
  const sse = await repeat(`${backend} command → SSE across nodes`, () => sseViaCommand(N_SAMPLES, across));
  rows.push([
    backend,
    `POST /commands resume on node A → first new SSE frame on node B (runner in its own process; ${N_SAMPLES} samples)`,
    `**p50 ${r2(pick(sse, 'p50'))} ms**, p99 ${r2(pick(sse, 'p99'))} ms; → next 'waiting' frame p50 ${r2(pick(sse, 'waitingP50'))} ms`,
    `load ${load()}`,
  ]);
  const cmd = await repeat(`${backend} command → applied across nodes`, () => commandApplied(N_SAMPLES, across));
  rows.push([
    backend,
    `POST /commands emit_event on node A → GET /commands/{id} on node B shows applied (${N_SAMPLES} samples)`,
    `**p50 ${r2(pick(cmd, 'p50'))} ms**, p99 ${r2(pick(cmd, 'p99'))} ms; POST ack p50 ${r2(pick(cmd, 'ackP50'))} ms; rejected ${pick(cmd, 'rejected')}`,
    `load ${load()}`,
  ]);
}

console.log(`\nNode ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, ${new Date().toISOString()}, ${REPS} repetition(s), medians\n`);
console.log('| store | measure | result | CPU (% of one core) / load |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
