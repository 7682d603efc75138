import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';

import Database from 'better-sqlite3';

import { makeRecord, makeRun } from './conformance/fixtures.js';
import { storeConformanceSuite } from './conformance/suite.js';
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

storeConformanceSuite({
  name: 'sqlite',
  async open() {
    const dataDir = mkdtempSync(join(tmpdir(), 'ag-store-'));
    return { store: openSqliteStore({ dataDir }), cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
  },
});

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

  it('migrates a version-1 database: runs keep their order, ledgers their records and heads', async () => {
    const dataDir = tempDir();
    const file = join(dataDir, 'gateway.sqlite3');
    const v1 = new Database(file);
    v1.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    v1.exec(MIGRATIONS[0]!.sql);
    v1.prepare("INSERT INTO schema_migrations VALUES (1, 'v1', 'then')").run();
    const insertRun = v1.prepare(
      `INSERT INTO runs (runtime_id, run_id, workflow_id, status, paused, parent_run_id, created_at, updated_at, updated_at_ms,
         run_json, version, ledger_len, lease_epoch) VALUES (?, ?, 'wf@1', 'running', 0, ?, 'x', 'x', 0, ?, 3, ?, 0)`,
    );
    const insertRecord = v1.prepare('INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?)');
    const parent = makeRun({ run_id: 'a' });
    const done = makeRecord('a', { idempotency_key: 'k1' });
    const waiting = makeRecord('a', { status: 'waiting', result: { wait: { wait_key: 'w1' } } });
    const elsewhere = makeRecord('a');
    insertRun.run('rt', 'a', null, JSON.stringify(parent), 2);
    insertRun.run('rt', 'c', 'a', JSON.stringify(makeRun({ run_id: 'c', parent_run_id: 'a' })), 0);
    insertRun.run('other', 'a', null, JSON.stringify(parent), 1); // same run_id in another runtime
    insertRun.run('rt', 'b', 'a', JSON.stringify(makeRun({ run_id: 'b', parent_run_id: 'a' })), 0);
    insertRecord.run('rt', 'a', 1, 'completed', 'k1', null, JSON.stringify(done));
    insertRecord.run('other', 'a', 1, 'completed', null, null, JSON.stringify(elsewhere));
    insertRecord.run('rt', 'a', 2, 'waiting', null, 'w1', JSON.stringify(waiting));
    v1.close();

    const store = openSqliteStore({ dataDir });
    try {
      const rt = store.scope('rt');
      const other = store.scope('other');
      assert.equal((await rt.getRun('a'))?.ledger_len, 2);
      assert.equal((await rt.getRun('a'))?.version, 3);
      assert.equal((await other.getRun('a'))?.ledger_len, 1);
      assert.equal((await rt.getRun('b'))?.ledger_len, 0);
      assert.deepEqual(await rt.readLedger('a', 0, 10), { items: [done, waiting], next_after: 2 });
      assert.deepEqual((await other.readLedger('a', 0, 10)).items, [elsewhere]);
      const found = await rt.tx(async (tx) => [await tx.findCompletedRecord('a', 'k1'), await tx.findWaitingRecord('a', 'w1')]);
      assert.deepEqual(found, [done, waiting]);
      assert.deepEqual(await rt.tx((tx) => tx.listChildren('a')), [await rt.getRun('c'), await rt.getRun('b')]);
      assert.equal(await rt.tx((tx) => tx.appendLedger('a', [makeRecord('a')])), 3);
      assert.equal(await other.tx((tx) => tx.appendLedger('a', [makeRecord('a')])), 2);
      assert.equal((await rt.tx((tx) => tx.getRun('a')))?.ledger_len, 3);
      await rt.tx((tx) => tx.insertRun(makeRun({ run_id: 'd', parent_run_id: 'a' })));
      assert.deepEqual((await rt.tx((tx) => tx.listChildren('a'))).map((r) => r.run.run_id), ['c', 'b', 'd']);
    } finally {
      await store.close();
    }
    const db = new Database(file, { readonly: true });
    assert.deepEqual(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(), MIGRATIONS.map((m) => m.version));
    assert.deepEqual(db.prepare('SELECT runtime_id, run_id, seq FROM ledger ORDER BY runtime_id, seq').raw().all(), [
      ['other', 'a', 1], ['other', 'a', 2], ['rt', 'a', 1], ['rt', 'a', 2], ['rt', 'a', 3],
    ]);
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
    // Stands for I/O that outlives the turn (a timer could fire before the check, under load).
    let unblock!: () => void;
    const io = new Promise<void>((r) => (unblock = r));
    let late: Promise<number> | undefined;
    const [slowResult, fastResult] = await Promise.allSettled([
      rt.tx(async (tx) => {
        await tx.insertRun(slow);
        await io;
        late = tx.appendLedger(slow.run_id, [makeRecord(slow.run_id)]);
        await late;
      }),
      rt.tx((tx) => tx.insertRun(fast)),
    ]);
    assert.equal(slowResult.status, 'rejected');
    assert.match(String((slowResult as PromiseRejectedResult).reason), /awaited something other than its StoreTx/);
    assert.equal(fastResult.status, 'fulfilled');
    assert.equal(await rt.getRun(slow.run_id), null);
    assert.ok(await rt.getRun(fast.run_id));
    unblock();
    await new Promise((r) => setImmediate(r));
    await assert.rejects(late!, /already finished/); // the escaped callback's late call fails on a closed tx
    assert.equal(await rt.getRun(slow.run_id), null);
    await store.close();
    await assert.rejects(rt.tx(async () => 1), /closed/);
  });

  it('rejects each stalling transaction of a batch alone, also in the turns after the first', async () => {
    const store = openSqliteStore({ dataDir: tempDir() });
    const rt = store.scope('rt');
    const runs = Array.from({ length: 5 }, () => makeRun());
    const stalls = (i: number) => i % 2 === 1;
    const never = new Promise<void>(() => {});
    const results = await Promise.allSettled(
      runs.map((run, i) =>
        rt.tx(async (tx) => {
          await tx.insertRun(run);
          if (stalls(i)) await never;
          await tx.appendLedger(run.run_id, [makeRecord(run.run_id)]);
        }),
      ),
    );
    assert.deepEqual(results.map((r) => r.status), runs.map((_, i) => (stalls(i) ? 'rejected' : 'fulfilled')));
    for (const [i, run] of runs.entries()) assert.equal((await rt.getRun(run.run_id))?.ledger_len, stalls(i) ? undefined : 1);
    await store.close();
  });
});
