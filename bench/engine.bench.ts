// Engine-level benchmarks (no HTTP): trivial runs start→terminal, and ledger appends.
// Run with `npm run bench` (SQLite) or `node dist/bench/engine.bench.js --backend postgres` (a fresh
// database on the machine's PostgreSQL, dropped after); copy the printed table into bench/README.md.

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { compileFlow } from '../src/flow/compiler.js';
import { BundleRegistry } from '../src/bundles/registry.js';
import { Runtime } from '../src/runtime/runtime.js';
import { makeRecord } from '../src/runtime/records.js';
import { nowIso } from '../src/model/time.js';
import type { RunState } from '../src/model/run.js';
import { parseArgs } from 'node:util';
import { openPostgresStore } from '../src/store/postgres/store.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import type { Store } from '../src/store/types.js';
import { createTestDatabase } from '../test/helpers/postgres.js';
import { pool } from './http-scenarios.js';

const { values: args } = parseArgs({ options: { backend: { type: 'string', default: 'sqlite' } } });
const BACKEND = args.backend;
if (BACKEND !== 'sqlite' && BACKEND !== 'postgres') throw new Error(`--backend sqlite|postgres, got '${BACKEND}'`);

/**
 * Operations kept in flight at once. Unbounded (10,000 transactions queued at once), PostgreSQL's
 * pool times checkouts out after 10 s and the store reports them as storage faults.
 */
const IN_FLIGHT = 256;

const TRIVIAL_FLOW = {
  id: 'trivial',
  nodes: [
    { id: 'start', type: 'on_flow_start', data: { inputs: [], outputs: [{ id: 'exec-out', type: 'execution' }, { id: 'x', type: 'any' }] } },
    { id: 'end', type: 'on_flow_end', data: { inputs: [{ id: 'exec-in', type: 'execution' }, { id: 'x', type: 'any' }], outputs: [] } },
  ],
  edges: [
    { source: 'start', sourceHandle: 'exec-out', target: 'end', targetHandle: 'exec-in' },
    { source: 'start', sourceHandle: 'x', target: 'end', targetHandle: 'x' },
  ],
};

/** A fresh data dir and a fresh store of the chosen backend (the store is closed by fn). */
async function withStore<T>(fn: (dir: string, store: Store) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'agw-bench-'));
  const db = BACKEND === 'postgres' ? await createTestDatabase() : undefined;
  try {
    const store = db ? await openPostgresStore({ url: db.url }) : openSqliteStore({ dataDir: join(dir, 'data') });
    return await fn(dir, store);
  } finally {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function trivialRuns(total: number): Promise<number> {
  return withStore(async (dir, store) => {
    const bdir = join(dir, 'bench.flow');
    await mkdir(join(bdir, 'flows'), { recursive: true });
    await writeFile(
      join(bdir, 'manifest.json'),
      JSON.stringify({ bundle_format_version: '1', bundle_id: 'bench', bundle_version: '1', entrypoints: [{ flow_id: 'trivial' }], flows: { trivial: 'flows/trivial.json' } }),
    );
    await writeFile(join(bdir, 'flows', 'trivial.json'), JSON.stringify(TRIVIAL_FLOW));
    const registry = new BundleRegistry({ compile: compileFlow });
    await registry.addBundle(bdir);
    const runtime = new Runtime({ store, workflows: registry, ledgerPollMs: 0, runner: { concurrency: 256 } }).start();
    const t0 = performance.now();
    await pool(Array.from({ length: total }), IN_FLIGHT, async (_, i) => void (await runtime.startRun({ workflow_id: 'bench@1:trivial', input_data: { x: i } })));
    await runtime.runner!.idle();
    const elapsed = performance.now() - t0;
    const done = await store.scope('default').listRuns({ status: 'completed', limit: total + 1 });
    if (done.length !== total) throw new Error(`only ${done.length}/${total} runs completed`);
    await runtime.stop();
    await store.close();
    return (total / elapsed) * 1000;
  });
}

async function ledgerAppends(runs: number, txPerRun: number, recordsPerTx: number): Promise<number> {
  return withStore(async (_dir, store) => {
    const scope = store.scope('default');
    const ids: RunState[] = [];
    await scope.tx(async (tx) => {
      for (let i = 0; i < runs; i++) {
        const run: RunState = {
          run_id: randomUUID(), workflow_id: 'bench', status: 'waiting', current_node: 'n', vars: {}, waiting: null, output: null, error: null,
          created_at: new Date().toISOString(), updated_at: new Date().toISOString(), actor_id: 'gateway', session_id: null, parent_run_id: null,
        };
        await tx.insertRun(run);
        ids.push(run);
      }
    });
    const t0 = performance.now();
    await pool(Array.from({ length: txPerRun * runs }), IN_FLIGHT, async (_, i) => {
      const run = ids[i % runs];
      const recs = Array.from({ length: recordsPerTx }, () =>
        makeRecord(run, { node_id: 'n', status: 'completed', effect: { type: 'answer_user', payload: { message: 'hello' }, result_key: null }, result: { message: 'hello', level: 'message' } }, nowIso()),
      );
      await scope.tx((tx) => tx.appendLedger(run.run_id, recs));
    });
    const elapsed = performance.now() - t0;
    await store.close();
    return ((runs * txPerRun * recordsPerTx) / elapsed) * 1000;
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const rows: [string, string, string][] = [];
rows.push(['trivial flow runs/s, start → terminal (10,000 runs)', fmt(await trivialRuns(10_000)), '≥ 1,000']);
rows.push(['ledger records/s, 1 record per transaction (group commit)', fmt(await ledgerAppends(100, 500, 1)), '≥ 50,000']);
rows.push(['ledger records/s, 10 records per transaction', fmt(await ledgerAppends(100, 100, 10)), '≥ 50,000']);
console.log(`${BACKEND}; Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, ${new Date().toISOString()}, load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
console.log('| measure | result | target |\n|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
