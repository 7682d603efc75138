// A/B of the polled read path between two builds: `GET /runs/{id}` and `GET /api/health`,
// autocannon 32 connections, each build's CLI server in its own process, builds alternating
// so machine load drifts hit both alike. Used to check that a change (issue 7: connection
// limits, guard phases) costs no throughput.
//   node dist/bench/read-path-ab.js --base /path/to/other/dist/src/cli/main.js [--reps 5] [--seconds 8]

import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { writeBundleDir } from '../test/helpers/bundles.js';
import { BUNDLE, CLI, FLOWS, TOKEN, median, startServer } from './http-kit.js';

const { values } = parseArgs({ options: { base: { type: 'string' }, reps: { type: 'string', default: '5' }, seconds: { type: 'string', default: '8' } } });
if (!values.base) throw new Error('--base <other build main.js> is required');
const builds: Record<string, string> = { base: values.base, this: CLI };
const seconds = Number(values.seconds);
const auth = { authorization: `Bearer ${TOKEN}` };

async function rps(url: string, headers: Record<string, string>): Promise<number> {
  await autocannon({ url, headers, connections: 32, duration: 2 }); // warm-up
  const r = await autocannon({ url, headers, connections: 32, duration: seconds });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return Math.round(r.requests.average);
}

const results: Record<string, { run: number[]; health: number[] }> = { base: { run: [], health: [] }, this: { run: [], health: [] } };
for (let rep = 0; rep < Number(values.reps); rep++) {
  for (const name of rep % 2 ? ['this', 'base'] : ['base', 'this']) {
    const root = await mkdtemp(join(tmpdir(), 'agw-ab-'));
    const flowsDir = join(root, 'flows');
    await mkdir(flowsDir);
    await writeBundleDir(flowsDir, BUNDLE, FLOWS);
    const server = await startServer(join(root, 'data'), flowsDir, {}, false, builds[name]);
    const url = `http://127.0.0.1:${server.port}`;
    try {
      const start = await fetch(`${url}/api/gateway/runs/start`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ bundle_id: BUNDLE, flow_id: 'trivial', input_data: {} }) });
      const { run_id } = (await start.json()) as { run_id: string };
      const run = await rps(`${url}/api/gateway/runs/${run_id}`, auth);
      const health = await rps(`${url}/api/health`, {});
      results[name]!.run.push(run);
      results[name]!.health.push(health);
      console.log(`${name.padEnd(4)} GET /runs/{id} ${run} req/s | /api/health ${health} req/s`);
    } finally {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    }
  }
}
for (const [name, r] of Object.entries(results)) {
  console.log(`${name}: GET /runs/{id} median ${median(r.run)} req/s (${r.run.join(' / ')}); /api/health median ${median(r.health)} req/s (${r.health.join(' / ')})`);
}
