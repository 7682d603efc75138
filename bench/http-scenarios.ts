// The HTTP scenarios shared by http.bench.ts (one SQLite server) and scale.bench.ts (SQLite and
// PostgreSQL, several API nodes and runner processes): trivial runs start → terminal, command →
// SSE delivery, command → applied. Each takes a Setup saying which store and which processes.

import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { Client, cpuMs, newServer, now, postgresCpuMs, openStream, sleep, summary, type Backend, type Topology } from './http-kit.js';

export const WARMUP = 100;

/** Which store and which processes a scenario runs on (default: one SQLite `serve` with its runner). */
export interface Setup {
  backend?: Backend;
  topology?: Topology;
}

const serverFor = (setup: Setup) => newServer({}, setup.topology ?? false, setup.backend ?? 'sqlite');

export async function pool<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

// ---------------------------------------------------------------- 1. trivial runs

export interface RunsResult {
  runs: number;
  completed: number;
  runsPerS: number;
  wallMs: number;
  startP50: number;
  startP99: number;
  e2eP50: number;
  e2eP99: number;
  /** CPU used during the measured phase, in % of one core: API node(s), runner process(es), PostgreSQL server. */
  apiCpuPct: number;
  runnerCpuPct: number;
  postgresCpuPct: number;
  /** 1-minute load average at the end. */
  load1: number;
}

export async function trivialRuns(total: number, setup: Setup = {}, concurrency = 48): Promise<RunsResult> {
  const s = await serverFor(setup);
  try {
    // Warm-up: JIT, SQLite page cache (not counted).
    const warm: string[] = [];
    await pool(Array.from({ length: 300 }), concurrency, async () => void warm.push(await s.client.start('trivial', { x: 1 })));
    for (const id of warm) await s.client.waitFor(id, (r) => r.status === 'completed');
    const ids: string[] = new Array(total);
    const startLat: number[] = [];
    const cpu0 = [...s.srv.pids.map(cpuMs), postgresCpuMs()];
    const t0 = now();
    await pool(Array.from({ length: total }), concurrency, async (_, i) => {
      const a = now();
      ids[i] = await s.client.start('trivial', { x: i });
      startLat.push(now() - a);
    });
    // Wait until nothing is running any more (the poll only begins once every start answered).
    for (;;) {
      const { items } = await s.client.json('GET', '/api/gateway/runs?status=running&limit=1&include_ledger_len=false');
      if (items.length === 0) break;
      await sleep(2);
    }
    const cpu = [...s.srv.pids.map(cpuMs), postgresCpuMs()].map((ms, i) => ms - cpu0[i]);
    const measuredMs = now() - t0;
    const pctOf = (ms: number) => (ms / measuredMs) * 100;
    const apiNodes = s.srv.ports.length;
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    // Then confirm every run over HTTP and take the last completion time from the server's updated_at.
    let completed = 0;
    let last = 0;
    const e2e: number[] = [];
    await pool(ids, 32, async (id) => {
      const r = await s.client.run(id);
      if (r.status !== 'completed') return;
      completed++;
      const end = Date.parse(r.updated_at);
      last = Math.max(last, end);
      e2e.push(end - Date.parse(r.created_at));
    });
    const wallMs = last - t0;
    const st = summary(startLat);
    const e = summary(e2e);
    return { runs: total, completed, runsPerS: (completed / wallMs) * 1000, wallMs, startP50: st.p50, startP99: st.p99, e2eP50: e.p50, e2eP99: e.p99,
      apiCpuPct: pctOf(sum(cpu.slice(0, apiNodes))), runnerCpuPct: pctOf(sum(cpu.slice(apiNodes, -1))), postgresCpuPct: pctOf(cpu.at(-1)!), load1: loadavg()[0],
    };
  } finally {
    await s.close();
  }
}

// ---------------------------------------------------------------- 3a. command → SSE delivery (out of process)

export interface LatResult {
  n: number;
  p50: number;
  p99: number;
  max?: number;
  [k: string]: number | undefined;
}

async function echoRunWithStream(client: Client, port: number) {
  const id = await client.start('echo');
  const waiting = await client.waitFor(id, (r) => r.status === 'waiting');
  let steps = 0;
  let waits = 0;
  let wake: (() => void) | null = null;
  const stream = await openStream(port, `/api/gateway/runs/${id}/ledger/stream?heartbeat_s=30`, (event, _id, data) => {
    if (event !== 'step') return;
    steps++;
    if (data?.includes('"status":"waiting"')) waits++;
    wake?.();
  });
  if (stream.status !== 200) throw new Error(`stream → ${stream.status}`);
  const until = async (pred: () => boolean) => {
    while (!pred()) await new Promise<void>((r) => (wake = r));
    wake = null;
  };
  await until(() => steps >= waiting.ledger_len);
  return { id, stream, until, counts: () => ({ steps, waits }) };
}

/** Commands go to the first API node; the stream is opened on the last one (the same one unless there are two). */
export async function sseViaCommand(samples: number, setup: Setup = {}): Promise<LatResult> {
  const s = await serverFor(setup);
  try {
    const e = await echoRunWithStream(s.client, s.srv.ports.at(-1)!);
    const first: number[] = [];
    const full: number[] = [];
    const ack: number[] = [];
    for (let i = 0; i < samples + WARMUP; i++) {
      const { steps, waits } = e.counts();
      const t0 = now();
      let t2 = 0;
      const submitted = s.client.json('POST', '/api/gateway/commands', { command_id: randomUUID(), run_id: e.id, type: 'resume', payload: { payload: { response: `r${i}` } } }).then(() => (t2 = now()));
      await e.until(() => e.counts().steps > steps);
      const t1 = now();
      await submitted;
      await e.until(() => e.counts().waits > waits);
      const t3 = now();
      if (i >= WARMUP) {
        first.push(t1 - t0);
        ack.push(t2 - t0);
        full.push(t3 - t0);
      }
    }
    e.stream.req.destroy();
    const f = summary(first);
    const a = summary(ack);
    const w = summary(full);
    return { n: f.n, p50: f.p50, p99: f.p99, max: f.max, ackP50: a.p50, ackP99: a.p99, waitingP50: w.p50, waitingP99: w.p99 };
  } finally {
    await s.close();
  }
}

// ---------------------------------------------------------------- 5. command submit → applied

/** Commands are posted to the first API node and polled on the last one (the same one unless there are two). */
export async function commandApplied(samples: number, setup: Setup = {}): Promise<LatResult> {
  const s = await serverFor(setup);
  const reader = new Client(s.srv.ports.at(-1)!);
  try {
    const session = `bench-session-${randomUUID()}`;
    const visible: number[] = [];
    const ack: number[] = [];
    const byStamp: number[] = [];
    let polls = 0;
    let rejected = 0;
    for (let i = 0; i < samples + WARMUP; i++) {
      const command_id = randomUUID();
      const t0 = now();
      await s.client.json('POST', '/api/gateway/commands', { command_id, run_id: session, type: 'emit_event', payload: { name: 'ping', payload: { i } } });
      const t1 = now();
      let c: any;
      for (;;) {
        c = await reader.json('GET', `/api/gateway/commands/${command_id}`);
        if (i >= WARMUP) polls++;
        if (c.state !== 'pending') break;
      }
      const t2 = now();
      if (c.state !== 'applied') rejected++;
      if (i >= WARMUP) {
        ack.push(t1 - t0);
        visible.push(t2 - t0);
        byStamp.push(Date.parse(c.applied_at) - t0);
      }
    }
    const v = summary(visible);
    const a = summary(ack);
    const b = summary(byStamp);
    return { n: v.n, p50: v.p50, p99: v.p99, max: v.max, ackP50: a.p50, ackP99: a.p99, stampP50: b.p50, stampP99: b.p99, pollsPerCmd: polls / v.n, rejected };
  } finally {
    reader.close();
    await s.close();
  }
}

