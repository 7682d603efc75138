// Scale-out on PostgreSQL as real processes sharing nothing but the database (issue 10): two
// API nodes (`serve --no-runner`) and two `runner` processes, each with its own data dir. A
// runner is SIGKILLed while it holds a lease mid-load; every run still completes once, no
// record is written twice and no command is applied twice. A command sent to one node reaches
// an SSE stream opened on the other through LISTEN/NOTIFY (the fallback poll is set to 30 s).

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import pg from 'pg';

import { exec, flowOf, wire } from '../flow/flowkit.js';
import { writeBundleDir } from '../helpers/bundles.js';
import { launchCli as launch, type CliProcess as Proc } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { killIf, waitUntil } from '../helpers/processes.js';
import { SseReader, hasDone, steps } from '../helpers/sse.js';

const TOKEN = 'pg-cluster-test-token-0123456789';
/** Runs started before the kill is attempted; more start while it is pending. */
const RUNS = 24;
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

async function api<T>(url: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${url}${path}`, body === undefined ? { headers } : { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as T };
}

describe('PostgreSQL cluster: 2 API nodes + 2 runners on one database', { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let root: string;
  const procs: Proc[] = [];
  let nodeA: string;
  let nodeB: string;
  let runner1: Proc;
  let sql: pg.Client;

  before(async () => {
    db = await createTestDatabase();
    root = await mkdtemp(join(tmpdir(), 'agw-pg-cluster-'));
    const flowsDir = join(root, 'flows');
    await mkdir(flowsDir, { recursive: true });
    const job = flowOf(
      [
        exec('start', 'on_flow_start', { entry: true, outputs: [] }),
        exec('ask', 'ask_user', { inputs: ['prompt'], outputs: ['response'], pinDefaults: { prompt: 'Go?' } }),
        exec('sleep', 'wait_until', { inputs: ['duration'], pinDefaults: { duration: 0.2 } }),
        exec('end', 'on_flow_end', { inputs: [], execOuts: [] }),
      ],
      [wire('start', 'ask'), wire('ask', 'sleep'), wire('sleep', 'end')],
      { id: 'job' },
    );
    await writeBundleDir(flowsDir, 'cluster', [job]);
    const env = (name: string) => ({
      ABSTRACTGATEWAY_DATA_DIR: join(root, name), // nothing shared but the database
      ABSTRACTGATEWAY_FLOWS_DIR: flowsDir,
      ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN,
      ABSTRACTGATEWAY_STORE_BACKEND: 'postgres',
      ABSTRACTGATEWAY_DATABASE_URL: db.url,
      ABSTRACTGATEWAY_DATABASE_POOL_SIZE: '4',
      ABSTRACTGATEWAY_POLL_S: '30', // anything seen within the waits below came through LISTEN/NOTIFY or a lease expiry
      ABSTRACTGATEWAY_LEASE_S: '1',
    });
    const a = launch(['serve', '--host', '127.0.0.1', '--port', '0', '--no-runner'], env('api-a'));
    const b = launch(['serve', '--host', '127.0.0.1', '--port', '0', '--no-runner'], env('api-b'));
    runner1 = launch(['runner'], env('runner-1'));
    const runner2 = launch(['runner'], env('runner-2'));
    procs.push(a, b, runner1, runner2);
    [nodeA, nodeB] = await Promise.all([a.url, b.url]);
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    // Both runners listen once each holds its LISTEN connection (plus the two API nodes).
    await waitUntil(
      async () => (await sql.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'")).rows[0].n >= 4,
      'four processes listening for hints',
      20_000,
    );
  });

  after(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exit));
    await sql?.end();
    await db?.drop();
    await rm(root, { recursive: true, force: true });
  });

  it('a command on node A reaches an SSE stream opened on node B', async () => {
    const { json: started } = await api<{ run_id: string }>(nodeA, '/api/gateway/runs/start', { bundle_id: 'cluster', flow_id: 'job', input_data: {} });
    const sse = new SseReader(await fetch(`${nodeB}/api/gateway/runs/${started.run_id}/ledger/stream`, { headers }));
    await sse.until((f) => steps(f).some((st) => st.record.status === 'waiting'), 10_000);
    const res = await api(nodeA, '/api/gateway/commands', { command_id: 'sse-go', run_id: started.run_id, type: 'resume', payload: { payload: { response: 'yes' } } });
    assert.equal(res.status, 200);
    const all = await sse.until(hasDone, 10_000);
    assert.equal(steps(all).at(-1).record.idempotency_key, 'system:terminal_status:completed');
    await sse.cancel();
  });

  it('SIGKILL of a runner holding a lease mid-load: every run completes once, no command applied twice', async () => {
    const ids: string[] = [];
    const start = async () => {
      const node = ids.length % 2 ? nodeA : nodeB;
      const { status, json } = await api<{ run_id: string }>(node, '/api/gateway/runs/start', { bundle_id: 'cluster', flow_id: 'job', input_data: {} });
      assert.equal(status, 200);
      ids.push(json.run_id);
    };
    for (let i = 0; i < RUNS; i++) await start();
    // Resume each run once it asks, through both nodes with the same command id: one is accepted.
    const resumed = new Set<string>();
    const owner1 = `runner-${runner1.child.pid}-%`;
    let killed = false;
    await waitUntil(async () => {
      for (const id of ids) {
        if (resumed.has(id)) continue;
        const { json } = await api<{ status: string; waiting?: { reason?: string } | null }>(nodeB, `/api/gateway/runs/${id}`);
        if (json.status !== 'waiting' || json.waiting?.reason !== 'user') continue;
        const cmd = { command_id: `go-${id}`, run_id: id, type: 'resume', payload: { payload: { response: 'yes' } } };
        const [first, second] = await Promise.all([api(nodeA, '/api/gateway/commands', cmd), api(nodeB, '/api/gateway/commands', cmd)]);
        assert.deepEqual([first.status, second.status], [200, 200]);
        resumed.add(id);
      }
      if (!killed) await start(); // the load goes on until the kill
      // The kill: runner 1 frozen at a moment the database shows it holding a live lease.
      if (!killed) {
        killed =
          (await killIf(runner1.child, async () => {
            const { rows } = await sql.query('SELECT count(*)::int AS n FROM runs WHERE lease_owner LIKE $1 AND lease_expires_ms > $2', [owner1, Date.now()]);
            return rows[0].n > 0 ? true : undefined;
          })) === true;
      }
      return resumed.size === ids.length && killed;
    }, 'every run resumed and runner 1 killed holding a lease', 60_000);

    await waitUntil(async () => {
      const { rows } = await sql.query("SELECT count(*)::int AS n FROM runs WHERE status = 'completed'");
      return rows[0].n === ids.length + 1; // + the SSE test's run
    }, 'every run completed by the surviving runner', 60_000);

    // One accepted command per run, each applied exactly once.
    const cmds = await sql.query("SELECT state, count(*)::int AS n FROM commands WHERE command_id LIKE 'go-%' GROUP BY state");
    assert.deepEqual(cmds.rows, [{ state: 'applied', n: ids.length }]);
    // Every run's ledger is exactly one pass through the flow (the timer's completion is labelled
    // with the node it resumes to, then the terminal record): nothing written twice.
    const expected = ['ask:started', 'ask:waiting', 'ask:completed', 'sleep:started', 'sleep:waiting', 'end:completed', 'end:completed'];
    for (const id of ids) {
      const { json } = await api<{ items: Array<{ status: string; node_id: string }> }>(nodeA, `/api/gateway/runs/${id}/ledger`);
      assert.deepEqual(json.items.map((r) => `${r.node_id}:${r.status}`), expected, `ledger of ${id}`);
    }
  });
});
