import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import pg from 'pg';

import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { waitUntil } from '../helpers/processes.js';
import { makeRecord, makeRun, T0, LEASE_MS } from './conformance/fixtures.js';
import { storeConformanceSuite } from './conformance/suite.js';
import { openListenNotifier } from '../../src/store/postgres/listen-notifier.js';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { openPool } from '../../src/store/postgres/pool.js';
import { openPostgresStore, PostgresStore } from '../../src/store/postgres/store.js';
import { storageFault } from '../../src/store/faults.js';
import { loadConfig } from '../../src/config/config.js';

storeConformanceSuite({
  name: 'postgres',
  async open() {
    const db = await createTestDatabase();
    return { store: await openPostgresStore({ url: db.url }), cleanup: () => db.drop() };
  },
});

describe('PostgresStore specifics', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(() => db.drop());

  it('processes opening a fresh database concurrently migrate it once (advisory lock)', async () => {
    const fresh = await createTestDatabase();
    try {
      const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore({ url: fresh.url, poolSize: 2 })));
      await Promise.all(stores.map((s, i) => s.scope('rt').tx((tx) => tx.insertRun(makeRun({ run_id: `r${i}` })))));
      assert.equal((await stores[0]!.scope('rt').listRuns({})).length, 4);
      await Promise.all(stores.map((s) => s.close()));
      const c = new pg.Client({ connectionString: fresh.url });
      await c.connect();
      const { rows } = await c.query('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), PG_MIGRATIONS.map((m) => m.version));
      await c.query("INSERT INTO schema_migrations VALUES (9999, 'future', now())");
      await c.end();
      await assert.rejects(openPostgresStore({ url: fresh.url }), /does not know \(9999\)/);
    } finally {
      await fresh.drop();
    }
  });

  it('two stores on one database (two pools) never double-claim and keep one ledger order', async () => {
    const a = await openPostgresStore({ url: db.url });
    const b = await openPostgresStore({ url: db.url });
    try {
      const ra = a.scope('rt-two');
      const rb = b.scope('rt-two');
      const runs = Array.from({ length: 40 }, () => makeRun());
      await ra.tx(async (tx) => {
        for (const r of runs) await tx.insertRun(r);
      });
      const claims = await Promise.all([
        ra.claimRunnable('A', LEASE_MS, 15, T0),
        rb.claimRunnable('B', LEASE_MS, 15, T0),
        ra.claimRunnable('A2', LEASE_MS, 15, T0),
        rb.claimRunnable('B2', LEASE_MS, 15, T0),
      ]);
      const ids = claims.flat().map((c) => c.run_id);
      assert.equal(ids.length, 40);
      assert.equal(new Set(ids).size, 40);

      const target = runs[0]!.run_id;
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? ra : rb).tx((tx) => tx.appendLedger(target, [makeRecord(target), makeRecord(target)]))),
      );
      const page = await rb.readLedger(target, 0, 100);
      assert.equal(page.next_after, 20);
      assert.equal((await ra.getRun(target))?.ledger_len, 20);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('an unreachable server is a storage fault: 503 for reads and writes, health not writable', async () => {
    const url = new URL(db.url);
    url.port = '1'; // nothing listens there
    const store = new PostgresStore({ url: url.href, report: () => undefined }, openPool({ url: url.href }));
    try {
      const rt = store.scope('rt-down');
      const is503 = (e: unknown) => storageFault(e)?.status === 503 && /I\/O error/.test(String(e));
      await assert.rejects(rt.tx((tx) => tx.insertRun(makeRun())), is503);
      await assert.rejects(rt.getRun('x'), is503);
      await assert.rejects(rt.submitCommand({ command_id: 'c', run_id: 'x', type: 'pause', payload: {}, ts: new Date(T0).toISOString(), client_id: null }), is503);
      const health = await store.writeHealth();
      assert.equal(health.writable, false);
      assert.match(health.detail ?? '', /I\/O error/);
    } finally {
      await store.close();
    }
  });

  it('hints cross processes over LISTEN/NOTIFY; a process ignores its own', async () => {
    const na = await openListenNotifier({ url: db.url });
    const nb = await openListenNotifier({ url: db.url });
    const store = await openPostgresStore({ url: db.url, notifier: na });
    try {
      const seenA: string[] = [];
      const seenB: string[] = [];
      na.on('ledger', (rt, run, seq) => seenA.push(`${rt}/${run}@${seq}`));
      nb.on('ledger', (rt, run, seq) => seenB.push(`${rt}/${run}@${seq}`));
      nb.on('command', (rt) => seenB.push(`command:${rt}`));
      const rt = store.scope('rt-hint');
      const run = makeRun();
      await rt.tx(async (tx) => {
        await tx.insertRun(run);
        await tx.appendLedger(run.run_id, [makeRecord(run.run_id), makeRecord(run.run_id)]);
      });
      assert.deepEqual(seenA, [`rt-hint/${run.run_id}@2`], 'local listeners hear it at commit');
      await rt.submitCommand({ command_id: 'c1', run_id: run.run_id, type: 'pause', payload: {}, ts: new Date(T0).toISOString(), client_id: null });
      await waitUntil(() => seenB.length >= 2, 'the other process hears both hints');
      assert.deepEqual(seenB, [`rt-hint/${run.run_id}@2`, 'command:rt-hint']);
      assert.deepEqual(seenA, [`rt-hint/${run.run_id}@2`], 'no echo of its own hints');
    } finally {
      await store.close();
      await na.close();
      await nb.close();
    }
  });

  it('the hint channel reconnects after its connection is killed', async () => {
    const warnings: string[] = [];
    const listener = await openListenNotifier({ url: db.url, warn: (m) => warnings.push(m) });
    const sender = await openListenNotifier({ url: db.url, warn: () => undefined });
    try {
      const heard: number[] = [];
      listener.on('ledger', (_rt, _run, seq) => heard.push(seq));
      const killer = new pg.Client({ connectionString: db.url });
      await killer.connect();
      await killer.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()");
      await killer.end();
      await waitUntil(() => warnings.length >= 2, 'lost, then restored');
      assert.match(warnings[0]!, /lost/);
      assert.match(warnings[1]!, /restored/);
      // The sender's own connection was killed too: wait until one of its hints gets through.
      await waitUntil(() => {
        sender.publish([{ kind: 'ledger', runtimeId: 'rt', runId: 'r', lastSeq: 7 }]);
        return heard.includes(7);
      }, 'a hint published after the reconnect arrives');
    } finally {
      await listener.close();
      await sender.close();
    }
  });

  it('refuses artifacts above the size cap with 413', async () => {
    const store = await openPostgresStore({ url: db.url, artifactMaxBytes: 10 });
    try {
      const rt = store.scope('rt-art');
      assert.equal((await rt.artifacts.put(Buffer.from('0123456789'), {})).size_bytes, 10);
      await assert.rejects(rt.artifacts.put(Buffer.from('0123456789A'), {}), (e: { status?: number }) => e.status === 413);
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL settings', () => {
  it('need a postgres:// URL and validate pool size and artifact cap', () => {
    const base = { ABSTRACTGATEWAY_STORE_BACKEND: 'postgres' };
    assert.throws(() => loadConfig(base), /needs ABSTRACTGATEWAY_DATABASE_URL/);
    assert.throws(() => loadConfig({ ...base, ABSTRACTGATEWAY_DATABASE_URL: 'mysql://x/y' }), /must start with postgres:\/\//);
    assert.throws(() => loadConfig({ ...base, ABSTRACTGATEWAY_DATABASE_URL: 'postgres://h/db', ABSTRACTGATEWAY_DATABASE_POOL_SIZE: '0' }), /POOL_SIZE must be a positive integer/);
    assert.throws(() => loadConfig({ ABSTRACTGATEWAY_STORE_BACKEND: 'mongo' }), /use sqlite or postgres/);
    const c = loadConfig({ ...base, ABSTRACTGATEWAY_DATABASE_URL: 'postgresql://u@h:5433/db', ABSTRACTGATEWAY_DATABASE_ARTIFACT_MAX_BYTES: '1024' });
    assert.deepEqual([c.storeBackend, c.postgres], ['postgres', { url: 'postgresql://u@h:5433/db', poolSize: 10, artifactMaxBytes: 1024 }]);
    assert.equal(loadConfig({}).postgres, undefined);
  });
});
