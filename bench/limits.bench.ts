// Heavy inputs (issue 7), measured against the real CLI server in its own process:
//  1. /api/health latency while 10 history_bundle exports of a 20,002-record run (the chatty
//     flow asked for 30,000 iterations) run at once, under several ABSTRACTGATEWAY_HISTORY_MAX_RECORDS caps;
//  2. how long a 200,000-node bundle upload takes to be refused, and health meanwhile.
// Health is sampled open-loop: one request every HEALTH_EVERY_MS whatever the answers, each timed
// from when it was due, so a stall of the server shows in every sample it delays (a back-to-back
// poller takes one slow sample per stall and hides it behind the quick ones).
// Run: npm run build && node dist/bench/limits.bench.js [--only exports,upload] [--caps 50000,10000];
// copy the printed lines into bench/README.md.

import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE, chattyFlow, Client, startServer, summary, TOKEN } from './http-kit.js';
import { writeBundleDir } from '../test/helpers/bundles.js';
import { bundleZip } from '../test/bundles/zip-helpers.js';

const RECORDS_RUN_N = 30_000; // chatty: 2 records per iteration
const EXPORTS = 10;
const HEALTH_EVERY_MS = 10;

/**
 * Sends GET /api/health every HEALTH_EVERY_MS until `work` settles; returns each one's latency (ms).
 * Each on its own connection: pooled keep-alive sockets left idle during a stall race the server's
 * idle timeout (ECONNRESET), and a fresh loopback connect costs well under a millisecond.
 */
async function healthDuring(port: number, work: Promise<unknown>): Promise<number[]> {
  const lat: number[] = [];
  const pending: Promise<unknown>[] = [];
  const tick = setInterval(() => {
    const t0 = performance.now();
    pending.push(drain(port, '/api/health').then(() => lat.push(performance.now() - t0)));
  }, HEALTH_EVERY_MS);
  try {
    await work;
  } finally {
    clearInterval(tick);
  }
  await Promise.all(pending);
  return lat;
}

/** GET `path` on a new connection and count the body's bytes without parsing it (parsing would stall this process's health timer). */
function drain(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode}`));
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve(bytes));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const fmt = (xs: number[]) => {
  const s = summary(xs);
  return `health n=${s.n} p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms`;
};

async function exportsUnderCap(cap: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'agw-limits-'));
  try {
    const flowsDir = join(root, 'flows');
    await mkdir(flowsDir, { recursive: true });
    await writeBundleDir(flowsDir, BUNDLE, [chattyFlow], '1.0.0');
    const server = await startServer(join(root, 'data'), flowsDir, { ABSTRACTGATEWAY_HISTORY_MAX_RECORDS: cap });
    const c = new Client(server.port);
    try {
      const id = await c.start('chatty', { n: RECORDS_RUN_N });
      await c.waitFor(id, (r) => r.status === 'completed', 300_000);
      const path = `/api/gateway/runs/${id}/history_bundle?ledger_mode=full`;
      const records = (await c.request('GET', path)).body.timeline.length; // parsed once, untimed
      const t0 = performance.now();
      const work = Promise.all(Array.from({ length: EXPORTS }, () => drain(server.port, path)));
      const lat = await healthDuring(server.port, work);
      const wall = performance.now() - t0;
      const bytes = await work;
      return `cap ${cap}: ${EXPORTS} exports of ${records} records (${(bytes[0] / 1e6).toFixed(1)} MB) each in ${(wall / 1000).toFixed(1)} s; ${fmt(lat)}`;
    } finally {
      c.close();
      await server.stop();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function hugeUpload(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'agw-limits-'));
  try {
    const flowsDir = join(root, 'flows');
    await mkdir(flowsDir, { recursive: true });
    const server = await startServer(join(root, 'data'), flowsDir);
    try {
      const n = 200_000;
      const nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type: 'set_var', data: { inputs: [{ id: 'exec-in', type: 'execution' }], outputs: [{ id: 'exec-out', type: 'execution' }] } }));
      const edges = nodes.slice(1).map((node, i) => ({ source: nodes[i].id, sourceHandle: 'exec-out', target: node.id, targetHandle: 'exec-in' }));
      const zip = await bundleZip('huge', '1.0.0', { root: { id: 'root', nodes, edges } });
      const fd = new FormData();
      fd.set('file', new Blob([zip]), 'huge.flow');
      let status = 0;
      const t0 = performance.now();
      const work = fetch(`http://127.0.0.1:${server.port}/api/gateway/bundles/upload`, { method: 'POST', body: fd, headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => {
        status = r.status;
        return r.text();
      });
      const lat = await healthDuring(server.port, work);
      return `200k-node upload (${(zip.length / 1e6).toFixed(1)} MB zip): ${status} in ${(performance.now() - t0).toFixed(0)} ms; ${fmt(lat)}`;
    } finally {
      await server.stop();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const { values: args } = parseArgs({ options: { only: { type: 'string', default: 'exports,upload' }, caps: { type: 'string', default: '1000000000,50000,10000' } } });
const only = new Set(args.only.split(','));
if (only.has('exports')) for (const cap of args.caps.split(',')) console.log(await exportsUnderCap(cap));
if (only.has('upload')) console.log(await hugeUpload());
