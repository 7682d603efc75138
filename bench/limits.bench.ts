// Heavy inputs (issue 7), measured against the real CLI server in its own process:
//  1. /api/health latency while 10 history_bundle exports of a 60,000-record run run at once,
//     under several ABSTRACTGATEWAY_HISTORY_MAX_RECORDS caps;
//  2. how long a 200,000-node bundle upload takes to be refused, and health meanwhile.
// Run: npm run build && node dist/bench/limits.bench.js; copy the printed lines into bench/README.md.

import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE, chattyFlow, Client, startServer, summary, TOKEN } from './http-kit.js';
import { writeBundleDir } from '../test/helpers/bundles.js';
import { bundleZip } from '../test/bundles/zip-helpers.js';

const RECORDS_RUN_N = 30_000; // chatty: 2 records per iteration
const EXPORTS = 10;

/** Polls /api/health back to back until `work` settles; returns the latencies (ms). */
async function healthDuring(c: Client, work: Promise<unknown>): Promise<number[]> {
  let done = false;
  void work.finally(() => (done = true));
  const lat: number[] = [];
  while (!done) {
    const t0 = performance.now();
    await c.request('GET', '/api/health');
    lat.push(performance.now() - t0);
  }
  await work;
  return lat;
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
      const sizes: number[] = [];
      const t0 = performance.now();
      const work = Promise.all(
        Array.from({ length: EXPORTS }, async () => {
          const r = await c.request('GET', `/api/gateway/runs/${id}/history_bundle?ledger_mode=full`);
          sizes.push(r.body.timeline.length);
        }),
      );
      const lat = await healthDuring(new Client(server.port, TOKEN, 1), work);
      const wall = performance.now() - t0;
      return `cap ${cap}: ${EXPORTS} exports of ${sizes[0]} records each in ${(wall / 1000).toFixed(1)} s; ${fmt(lat)}`;
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
      const lat = await healthDuring(new Client(server.port, TOKEN, 1), work);
      return `200k-node upload (${(zip.length / 1e6).toFixed(1)} MB zip): ${status} in ${(performance.now() - t0).toFixed(0)} ms; ${fmt(lat)}`;
    } finally {
      await server.stop();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

for (const cap of ['1000000000', '50000', '10000']) console.log(await exportsUnderCap(cap));
console.log(await hugeUpload());
