// Child process of http.bench: opens many SSE ledger streams (one socket each, no agent
// pooling), confirms 200 + full replay, then on request resumes every run once and times the
// delivery of the new records to every stream. Talks to the parent over the IPC channel.

import { randomUUID } from 'node:crypto';
import { Client, now, openStream, summary } from './http-kit.js';

interface OpenMsg {
  type: 'open';
  port: number;
  runs: { run_id: string; ledger_len: number }[];
  perRun: number;
  inFlight: number;
}

interface Stream {
  run: string;
  steps: number;
  replayLen: number;
  replayed: boolean;
  ended: boolean;
  baseline: number;
  firstNewAt: number;
  waitingAt: number;
}

const streams: Stream[] = [];
let port = 0;
let armedAt = 0;
let onProgress: () => void = () => undefined;

async function open(m: OpenMsg): Promise<void> {
  port = m.port;
  const jobs: { run_id: string; ledger_len: number }[] = [];
  for (let i = 0; i < m.perRun; i++) for (const r of m.runs) jobs.push(r);
  let next = 0;
  let ok200 = 0;
  let failed = 0;
  const errors = new Map<string, number>();
  const t0 = now();
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const s: Stream = { run: job.run_id, steps: 0, replayLen: job.ledger_len, replayed: false, ended: false, baseline: 0, firstNewAt: 0, waitingAt: 0 };
      let replayedResolve!: () => void;
      const replayed = new Promise<void>((r) => (replayedResolve = r));
      try {
        const { status } = await openStream(
          port,
          `/api/gateway/runs/${job.run_id}/ledger/stream?heartbeat_s=30`,
          (event, _id, data) => {
            if (event !== 'step') return;
            s.steps++;
            if (!s.replayed && s.steps >= s.replayLen) {
              s.replayed = true;
              replayedResolve();
            }
            if (armedAt > 0 && s.steps > s.baseline) {
              if (!s.firstNewAt) s.firstNewAt = now();
              if (!s.waitingAt && data && data.includes('"status":"waiting"')) {
                s.waitingAt = now();
                onProgress();
              }
            }
          },
          { onEnd: () => (s.ended = true) },
        );
        if (status === 200) ok200++;
        else {
          failed++;
          errors.set(`HTTP ${status}`, (errors.get(`HTTP ${status}`) ?? 0) + 1);
          continue;
        }
        streams.push(s);
        await replayed;
      } catch (e) {
        failed++;
        const k = (e as NodeJS.ErrnoException).code ?? String(e);
        errors.set(k, (errors.get(k) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: m.inFlight }, worker));
  const openMs = now() - t0;
  process.send!({
    type: 'ready',
    requested: jobs.length,
    ok200,
    failed,
    errors: Object.fromEntries(errors),
    replayed: streams.filter((s) => s.replayed).length,
    openMs,
  });
}

async function broadcast(timeoutMs: number): Promise<void> {
  const client = new Client(port, undefined, 16);
  for (const s of streams) s.baseline = s.steps;
  const alive = streams.filter((s) => !s.ended);
  const runs = [...new Set(alive.map((s) => s.run))];
  let pending = alive.length;
  const allDone = new Promise<void>((resolve) => {
    onProgress = () => {
      if (--pending === 0) resolve();
    };
  });
  armedAt = now();
  await Promise.all(
    runs.map((run_id) => client.json('POST', '/api/gateway/commands', { command_id: randomUUID(), run_id, type: 'resume', payload: { payload: { response: 'broadcast' } } })),
  );
  const submittedMs = now() - armedAt;
  await Promise.race([allDone, new Promise((r) => setTimeout(r, timeoutMs))]);
  const first = alive.filter((s) => s.firstNewAt).map((s) => s.firstNewAt - armedAt);
  const full = alive.filter((s) => s.waitingAt).map((s) => s.waitingAt - armedAt);
  client.close();
  process.send!({
    type: 'delivered',
    streams: alive.length,
    runs: runs.length,
    submittedMs,
    gotFirst: first.length,
    gotAll: full.length,
    first: first.length ? summary(first) : null,
    full: full.length ? summary(full) : null,
  });
}

process.on('message', (m: any) => {
  if (m.type === 'open') void open(m as OpenMsg);
  else if (m.type === 'broadcast') void broadcast(m.timeoutMs ?? 60_000);
  else if (m.type === 'exit') process.exit(0);
});
process.send!({ type: 'hello', pid: process.pid });
