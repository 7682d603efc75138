import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';

import Database from 'better-sqlite3';

import { makeRecord, makeRun, storeConformanceSuite } from '../../src/store/conformance.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ag-store-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

storeConformanceSuite('sqlite', async () => openSqliteStore({ dataDir: tempDir() }));

describe('SqliteStore specifics', () => {
  it('creates <dataDir>/gateway.sqlite3 and refuses a dbPath outside the data dir', async () => {
    const dataDir = tempDir();
    const store = openSqliteStore({ dataDir });
    assert.equal(store.dbPath, join(dataDir, 'gateway.sqlite3'));
    assert.ok(existsSync(store.dbPath));
    await store.close();

    assert.throws(() => openSqliteStore({ dataDir, dbPath: join(dataDir, '..', 'elsewhere.sqlite3') }), /must point to a file under/);
    assert.throws(() => openSqliteStore({ dataDir, dbPath: dataDir }), /must point to a file under/);
    const nested = openSqliteStore({ dataDir, dbPath: join(dataDir, 'db', 'custom.sqlite3') });
    assert.ok(existsSync(join(dataDir, 'db', 'custom.sqlite3')));
    await nested.close();
  });

  it('applies migrations once and keeps data across reopen', async () => {
    const dataDir = tempDir();
    const run = makeRun();
    const first = openSqliteStore({ dataDir });
    await first.scope('rt').tx((tx) => tx.insertRun(run));
    await first.close();

    const second = openSqliteStore({ dataDir });
    assert.equal((await second.scope('rt').getRun(run.run_id))?.run.run_id, run.run_id);
    await second.close();

    const db = new Database(join(dataDir, 'gateway.sqlite3'), { readonly: true });
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    assert.deepEqual(versions, MIGRATIONS.map((m) => m.version));
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  it('refuses a database migrated by a newer build', async () => {
    const dataDir = tempDir();
    await openSqliteStore({ dataDir }).close();
    const db = new Database(join(dataDir, 'gateway.sqlite3'));
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 'now')").run();
    db.close();
    assert.throws(() => openSqliteStore({ dataDir }), /does not know \(9999\)/);
  });

  it('processes opening a fresh database concurrently all migrate it safely', async () => {
    const dataDir = tempDir();
    const storeModule = new URL('../../src/store/sqlite/store.js', import.meta.url).href;
    const script = `
      const { openSqliteStore } = await import(${JSON.stringify(storeModule)});
      const store = openSqliteStore({ dataDir: ${JSON.stringify(dataDir)} });
      await store.scope('rt').tx((tx) => tx.insertRun({ run_id: 'p' + process.pid, workflow_id: 'wf', status: 'running',
        current_node: 'a', vars: {}, waiting: null, output: null, error: null, created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:00Z', actor_id: null, session_id: null, parent_run_id: null }));
      await store.close();`;
    const run = promisify(execFile);
    await Promise.all(Array.from({ length: 4 }, () => run(process.execPath, ['--input-type=module', '-e', script])));
    const store = openSqliteStore({ dataDir });
    assert.equal((await store.scope('rt').listRuns({})).length, 4);
    await store.close();
  });

  it('two stores on one file (two connections) see each other and never double-claim', async () => {
    const dataDir = tempDir();
    const a = openSqliteStore({ dataDir });
    const b = openSqliteStore({ dataDir });
    try {
      const ra = a.scope('rt');
      const rb = b.scope('rt');
      const runs = Array.from({ length: 40 }, () => makeRun());
      await ra.tx(async (tx) => {
        for (const r of runs) await tx.insertRun(r);
      });
      assert.equal((await rb.listRuns({ limit: 100 })).length, 40);

      const now = Date.parse('2026-01-01T00:00:00Z');
      const claims = await Promise.all([
        ra.claimRunnable('A', 30_000, 15, now),
        rb.claimRunnable('B', 30_000, 15, now),
        ra.claimRunnable('A2', 30_000, 15, now),
        rb.claimRunnable('B2', 30_000, 15, now),
      ]);
      const ids = claims.flat().map((c) => c.run_id);
      assert.equal(ids.length, 40);
      assert.equal(new Set(ids).size, 40);

      const target = runs[0]!;
      await Promise.all([
        ra.tx((tx) => tx.appendLedger(target.run_id, [makeRecord(target.run_id)])),
        rb.tx((tx) => tx.appendLedger(target.run_id, [makeRecord(target.run_id), makeRecord(target.run_id)])),
      ]);
      assert.equal((await ra.readLedger(target.run_id, 0, 10)).next_after, 3);
      assert.equal((await rb.getRun(target.run_id))?.ledger_len, 3);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('rejects a transaction that awaits outside I/O without stalling the others', async () => {
    const store = openSqliteStore({ dataDir: tempDir() });
    const rt = store.scope('rt');
    const slow = makeRun();
    const fast = makeRun();
    const [slowResult, fastResult] = await Promise.allSettled([
      rt.tx(async (tx) => {
        await tx.insertRun(slow);
        await new Promise((r) => setTimeout(r, 5));
        await tx.appendLedger(slow.run_id, [makeRecord(slow.run_id)]);
      }),
      rt.tx((tx) => tx.insertRun(fast)),
    ]);
    assert.equal(slowResult.status, 'rejected');
    assert.match(String((slowResult as PromiseRejectedResult).reason), /awaited something other than its StoreTx/);
    assert.equal(fastResult.status, 'fulfilled');
    assert.equal(await rt.getRun(slow.run_id), null);
    assert.ok(await rt.getRun(fast.run_id));
    await new Promise((r) => setTimeout(r, 20)); // the escaped callback's late call fails on a closed tx
    assert.equal(await rt.getRun(slow.run_id), null);
    await store.close();
    await assert.rejects(rt.tx(async () => 1), /closed/);
  });
});
