// `abstractgateway migrate --from sqlite:PATH --to postgres:URL` (issue 10) over a real SQLite
// data dir written by the gateway itself → a fresh PostgreSQL database. A gateway on PostgreSQL
// then replays a migrated run's ledger byte for byte, serves a migrated artifact and command, and
// resumes a migrated waiting run to completion. A second migrate copies nothing; one run deleted
// from the target is copied again on the next.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import Database from 'better-sqlite3';
import pg from 'pg';

import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { exec, flowOf, wire } from '../flow/flowkit.js';
import { writeBundleDir } from '../helpers/bundles.js';
import { launchCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { stopProcess, waitUntil } from '../helpers/processes.js';

const TOKEN = 'migrate-test-token-0123456789abcd';
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;

async function api(url: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, body === undefined ? { headers } : { method: 'POST', headers, body: JSON.stringify(body) });
  assert.ok(res.ok, `${path} → ${res.status}`);
  return res.json();
}

/** `abstractgateway migrate …` to its end: exit code and everything it printed. */
function migrate(from: string, to: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [CLI, 'migrate', '--from', from, '--to', to], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

describe('migrate sqlite → postgres', { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let root: string;
  let flowsDir: string;
  const sqliteDir = () => join(root, 'sqlite-data');
  const env = (extra: Record<string, string>) => ({ ABSTRACTGATEWAY_FLOWS_DIR: flowsDir, ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN, ABSTRACTGATEWAY_POLL_S: '30', ...extra });
  let doneRun: string;
  let askRun: string;
  let doneLedger: unknown[];

  before(async () => {
    db = await createTestDatabase();
    root = await mkdtemp(join(tmpdir(), 'agw-migrate-'));
    flowsDir = join(root, 'flows');
    await mkdir(flowsDir, { recursive: true });
    const done = flowOf(
      [exec('start', 'on_flow_start', { entry: true, outputs: [] }), exec('say', 'answer_user', { inputs: ['message'], pinDefaults: { message: 'hi' } }), exec('end', 'on_flow_end', { inputs: [], execOuts: [] })],
      [wire('start', 'say'), wire('say', 'end')],
      { id: 'done' },
    );
    const ask = flowOf(
      [
        exec('start', 'on_flow_start', { entry: true, outputs: [] }),
        exec('ask', 'ask_user', { inputs: ['prompt'], outputs: ['response'], pinDefaults: { prompt: 'Go?' } }),
        exec('end', 'on_flow_end', { inputs: [], execOuts: [] }),
      ],
      [wire('start', 'ask'), wire('ask', 'end')],
      { id: 'ask' },
    );
    await writeBundleDir(flowsDir, 'mig', [done, ask]);

    // The source: a SQLite gateway with a completed run, a waiting run and an applied command.
    const source = launchCli(['serve', '--host', '127.0.0.1', '--port', '0'], env({ ABSTRACTGATEWAY_DATA_DIR: sqliteDir() }));
    const url = await source.url;
    doneRun = (await api(url, '/api/gateway/runs/start', { bundle_id: 'mig', flow_id: 'done', input_data: {} })).run_id;
    askRun = (await api(url, '/api/gateway/runs/start', { bundle_id: 'mig', flow_id: 'ask', input_data: {} })).run_id;
    await waitUntil(async () => (await api(url, `/api/gateway/runs/${doneRun}`)).status === 'completed', 'the first run completes');
    await waitUntil(async () => (await api(url, `/api/gateway/runs/${askRun}`)).status === 'waiting', 'the second run waits');
    await api(url, '/api/gateway/commands', { command_id: 'ping-1', run_id: 'some-session', type: 'emit_event', payload: { name: 'ping', payload: {} } });
    await waitUntil(async () => (await api(url, '/api/gateway/commands/ping-1')).state !== 'pending', 'the command is applied');
    doneLedger = (await api(url, `/api/gateway/runs/${doneRun}/ledger?after=0&limit=100`)).items;
    await stopProcess(source.child, 'SIGTERM');

    // An artifact of the completed run, written through the SQLite store (no upload route exists).
    const file = new Database(join(sqliteDir(), 'gateway.sqlite3'), { readonly: true });
    const runtimeId = file.prepare('SELECT runtime_id FROM runs WHERE run_id = ?').pluck().get(doneRun) as string;
    file.close();
    const store = openSqliteStore({ dataDir: sqliteDir() });
    await store.scope(runtimeId).artifacts.put(Buffer.from('artifact bytes'), { artifact_id: 'art1', run_id: doneRun, content_type: 'text/plain' });
    await store.close();
  });

  after(async () => {
    await db?.drop();
    await rm(root, { recursive: true, force: true });
  });

  it('copies everything with progress and verifies the counts', async () => {
    const { code, out } = await migrate(`sqlite:${sqliteDir()}`, `postgres:${db.url}`);
    assert.equal(code, 0, out);
    assert.match(out, /runs: 2\/2 \(2 copied, 0 already there\)/);
    assert.match(out, /artifacts: 1 in source, 1 found in target, 1 copied now/);
    assert.match(out, /commands: 1 in source, 1 found in target/);
    assert.match(out, /verified: every source row is in the target/);
  });

  it('is resumable: a second run copies nothing, a run missing from the target is copied again', async () => {
    const again = await migrate(`sqlite:${join(sqliteDir(), 'gateway.sqlite3')}`, `postgres:${db.url}`);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /runs: 2\/2 \(0 copied, 2 already there\)/);
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    await sql.query('DELETE FROM runs WHERE run_id = $1', [doneRun]); // its ledger goes with it (ON DELETE CASCADE)
    await sql.end();
    const third = await migrate(`sqlite:${sqliteDir()}`, `postgres:${db.url}`);
    assert.equal(third.code, 0, third.out);
    assert.match(third.out, /runs: 2\/2 \(1 copied, 1 already there\)/);
    assert.match(third.out, /ledger: \d+ in source, \d+ found in target, [1-9]\d* copied now/);
  });

  it('a gateway on PostgreSQL replays the migrated ledger and resumes the migrated waiting run', async () => {
    const target = launchCli(['serve', '--host', '127.0.0.1', '--port', '0'], env({ ABSTRACTGATEWAY_DATA_DIR: join(root, 'pg-node'), ABSTRACTGATEWAY_STORE_BACKEND: 'postgres', ABSTRACTGATEWAY_DATABASE_URL: db.url }));
    try {
      const url = await target.url;
      assert.deepEqual((await api(url, `/api/gateway/runs/${doneRun}/ledger?after=0&limit=100`)).items, doneLedger);
      assert.equal((await api(url, '/api/gateway/commands/ping-1')).state, 'applied');
      const art = await fetch(`${url}/api/gateway/runs/${doneRun}/artifacts/art1/content`, { headers });
      assert.equal(await art.text(), 'artifact bytes');
      await api(url, '/api/gateway/commands', { command_id: 'go', run_id: askRun, type: 'resume', payload: { payload: { response: 'yes' } } });
      await waitUntil(async () => (await api(url, `/api/gateway/runs/${askRun}`)).status === 'completed', 'the migrated waiting run completes on PostgreSQL');
    } finally {
      await stopProcess(target.child, 'SIGTERM');
    }
  });

  it('refuses a malformed --from or --to with a clear message', async () => {
    const bad = await migrate('/no/scheme', `postgres:${db.url}`);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /--from must be sqlite:PATH/);
  });
});
