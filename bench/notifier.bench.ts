// Socket notifier micro benchmark: hint delivery between two processes sharing a data dir.
// Run on demand (not part of the tests): `npm run build && node dist/bench/notifier.bench.js [--samples 2000] [--hints 200000] [--rate 50000]`.
//   latency: one hint in flight; parent publishes `ping`, the child's listener publishes `pong` back.
//            round trip measured in the parent; one-way measured in the child from a timestamp in the hint
//            (performance.timeOrigin + performance.now(), comparable across processes on one machine).
//   load: the parent publishes ledger hints for distinct runs, 1 hint per publish call (like 1 commit each),
//            flat out (1,000 calls per event-loop turn) and paced at --rate hints/s; the child counts what
//            arrives and measures each hint's one-way latency.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openSocketNotifier } from '../src/store/sqlite/socket-notifier.js';

const now = (): number => performance.timeOrigin + performance.now();
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const pct = (xs: number[], p: number): number => xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (ms: number): string => `${ms.toFixed(3)} ms`;

/** The echo process: pings come back as pongs; one-way latencies and the throughput count go to stdout. */
async function child(dataDir: string): Promise<void> {
  const n = await openSocketNotifier(dataDir);
  const oneWay: number[] = [];
  const loadLatency: number[] = [];
  let count = 0;
  let lastAt = 0;
  n.on('ledger', (runtimeId, runId, lastSeq) => {
    if (runtimeId === 'ping') {
      oneWay.push(now() - Number(runId));
      n.publish([{ kind: 'ledger', runtimeId: 'pong', runId, lastSeq }]);
    } else if (runtimeId === 'load') {
      count++;
      lastAt = now();
      loadLatency.push(lastAt - Number(runId.slice(runId.indexOf(':') + 1)));
    }
  });
  n.on('command', (runtimeId) => {
    if (runtimeId === 'report') {
      process.stdout.write(JSON.stringify({ oneWay, count, lastAt, load: [pct(loadLatency, 50), pct(loadLatency, 99)] }) + '\n');
      oneWay.length = loadLatency.length = count = 0;
    } else if (runtimeId === 'quit') void n.close().then(() => process.exit(0));
  });
  process.stdout.write('ready\n');
  setInterval(() => {}, 1 << 30); // the notifier itself keeps nothing alive
}

async function parent(): Promise<void> {
  const samples = arg('samples', 2000);
  const warmup = 200;
  const total = arg('hints', 200_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'agw-bench-notify-'));
  const a = await openSocketNotifier(dataDir);
  const proc = spawn(process.execPath, [process.argv[1]!, '--child', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => (await lines.next()).value as string;
  if ((await nextLine()) !== 'ready') throw new Error('child failed');

  // Wait for both directions (A finds the child through the directory).
  let pongs = new Map<number, () => void>();
  a.on('ledger', (runtimeId, _runId, lastSeq) => {
    if (runtimeId === 'pong') pongs.get(lastSeq)?.();
  });
  const ping = (seq: number, timeoutMs = 5_000): Promise<number> => {
    const t0 = now();
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ping ${seq} lost`)), timeoutMs);
      pongs.set(seq, () => {
        clearTimeout(timer);
        pongs.delete(seq);
        resolve(now() - t0);
      });
      a.publish([{ kind: 'ledger', runtimeId: 'ping', runId: String(now()), lastSeq: seq }]);
    });
  };
  let seq = 0; // ledger hints need lastSeq ≥ 1 (coalesce keeps the highest seq above 0)
  for (let ok = false; !ok; ) ok = await ping(++seq, 50).then(() => true, () => false);

  const rtt: number[] = [];
  for (let i = 1; i <= warmup + samples; i++) {
    const ms = await ping(++seq);
    if (i > warmup) rtt.push(ms);
  }
  const report = async (): Promise<{ oneWay: number[]; count: number; lastAt: number; load: number[] }> => {
    a.publish([{ kind: 'command', runtimeId: 'report' }]);
    return JSON.parse(await nextLine());
  };
  const oneWay = (await report()).oneWay.slice(-samples);

  const results = [await load(total, 0), await load(arg('rate', 50_000) * 2, arg('rate', 50_000))];

  async function load(hints: number, rate: number): Promise<string> {
    const cpu0 = process.cpuUsage();
    const t0 = now();
    const publish = (i: number): void => a.publish([{ kind: 'ledger', runtimeId: 'load', runId: `${i}:${now()}`, lastSeq: 1 }]);
    for (let sent = 0; sent < hints; ) {
      const due = rate === 0 ? sent + 1000 : Math.floor(((now() - t0) / 1000) * rate);
      for (; sent < Math.min(due, hints); sent++) publish(sent);
      await new Promise((r) => (rate === 0 ? setImmediate(r) : setTimeout(r, 1)));
    }
    const publishMs = now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await ping(++seq, 30_000); // ordered behind the load on the same connection
    const { count, lastAt, load: [p50, p99] } = await report();
    return [
      `${hints.toLocaleString('en-US')} hints ${rate === 0 ? 'flat out (1,000 publish calls per turn)' : `paced at ${rate.toLocaleString('en-US')}/s`}:`,
      `  published in ${publishMs.toFixed(0)} ms (${Math.round(hints / (publishMs / 1000)).toLocaleString('en-US')} calls/s), publisher CPU ${(((cpu.user + cpu.system) / hints)).toFixed(2)} µs per hint`,
      `  delivered ${count.toLocaleString('en-US')}/${hints.toLocaleString('en-US')} in ${(lastAt - t0).toFixed(0)} ms; one-way latency p50 ${fmt(p50!)}, p99 ${fmt(p99!)}`,
    ].join('\n');
  }

  a.publish([{ kind: 'command', runtimeId: 'quit' }]);
  await new Promise((r) => proc.once('exit', r));
  await a.close();
  rmSync(dataDir, { recursive: true, force: true });

  console.log(`Node ${process.version}, ${new Date().toISOString()}`);
  console.log(`latency (${samples} samples after ${warmup} warm-up, one in flight):`);
  console.log(`  one-way  p50 ${fmt(pct(oneWay, 50))}  p99 ${fmt(pct(oneWay, 99))}  max ${fmt(Math.max(...oneWay))}`);
  console.log(`  round trip p50 ${fmt(pct(rtt, 50))}  p99 ${fmt(pct(rtt, 99))}  max ${fmt(Math.max(...rtt))}`);
  for (const r of results) console.log(r);
}

if (process.argv[2] === '--child') await child(process.argv[3]!);
else await parent();
