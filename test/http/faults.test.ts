// Store faults over real sockets (issue 7): a full store and a read-only store answer 503 with
// a clear detail, create nothing, turn /api/health "degraded", are logged once per streak, and
// everything recovers once the store can be written again.
//
// Faults are produced deterministically, without root mounts: "full" is a real SQLite size cap
// (max_page_count, the same SQLITE_FULL a full disk gives); "read-only" is PRAGMA query_only on
// the writer connection, which fails writes with SQLITE_READONLY exactly as a read-only file or
// mount does (chmod cannot be used: these tests may run as root, whom permissions do not stop).

import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/http.js';
import { waitUntil } from '../helpers/processes.js';
import { runIdForKey } from '../../src/gateway/start-idempotency.js';
import type { SqliteStore } from '../../src/store/sqlite/store.js';
import { demoFlows, installFlows, json, startRun, terminal, waitRun } from './runs-kit.js';

const START = '/api/gateway/runs/start';
// ~200 KB of vars: the run row needs ~50 new pages, more than any free page of a fresh file.
const BIG = 'x'.repeat(200_000);

interface Faulty {
  s: TestServer;
  reports: string[];
  store: SqliteStore;
}

async function faultyServer(): Promise<Faulty> {
  const reports: string[] = [];
  const s = await startServer({ report: (m) => reports.push(m) });
  await installFlows(s, 'demo', demoFlows());
  return { s, reports, store: s.gateway.store as SqliteStore };
}

const health = async (s: TestServer) => {
  const res = await fetch(`${s.url}/api/health`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const runCount = async (s: TestServer) => (await json(await s.api('/api/gateway/runs?limit=500'))).items.length as number;
const workspaceCount = (s: TestServer) => (existsSync(join(s.dataDir, 'workspaces')) ? readdirSync(join(s.dataDir, 'workspaces')).length : 0);
const matching = (lines: string[], re: RegExp) => lines.filter((l) => re.test(l)).length;

describe('a full store (size cap → SQLITE_FULL)', () => {
  let f: Faulty;
  before(async () => {
    f = await faultyServer();
  });
  after(() => f.s.close());

  it('answers 503 with a clear detail, creates nothing, turns health degraded, then recovers', async () => {
    const { s, reports, store } = f;
    assert.deepEqual(await health(s), { status: 200, body: { status: 'healthy', service: 'abstractgateway' } });
    const runsBefore = await runCount(s);
    const workspacesBefore = workspaceCount(s);

    store.limitSize(0); // never below the current size: the file may not grow any more
    const body = { bundle_id: 'demo', flow_id: 'echo', input_data: { prompt: BIG } };
    const key = 'full-disk-key';
    for (const headers of [{ 'idempotency-key': key }, {}] as Record<string, string>[]) {
      const res = await s.api(START, { method: 'POST', json: body, headers });
      const answer = (await res.json()) as { detail: string };
      assert.equal(res.status, 503, JSON.stringify(answer));
      assert.match(answer.detail, /^Storage full: .*not applied/);
      assert.doesNotMatch(answer.detail, /\//, 'no server path in the detail');
      assert.equal(res.headers.get('retry-after'), '5');
    }
    // Nothing was created: no run (not even under the key's run id), no workspace directory.
    assert.equal(await runCount(s), runsBefore);
    assert.equal((await s.api(`/api/gateway/runs/${runIdForKey(s.plane.runtimeId, key)}`)).status, 404);
    assert.equal(workspaceCount(s), workspacesBefore);

    const degraded = await health(s);
    assert.equal(degraded.status, 503);
    assert.equal(degraded.body.status, 'degraded');
    assert.equal(degraded.body.service, 'abstractgateway');
    assert.match(String(degraded.body.detail), /^Storage full/);
    // Two failed requests, one report from the HTTP layer and one from the store.
    assert.equal(matching(reports, /^request on the data store failed: SQLITE_FULL/), 1, reports.join('\n'));
    assert.equal(matching(reports, /^store write failed: SQLITE_FULL/), 1, reports.join('\n'));

    store.limitSize(null); // space is back
    const runId = await startRun(s, body, { 'idempotency-key': key });
    assert.equal(runId, runIdForKey(s.plane.runtimeId, key));
    await waitRun(s, runId, terminal);
    assert.deepEqual((await health(s)).body, { status: 'healthy', service: 'abstractgateway' });
    assert.equal(matching(reports, /^store write recovered after \d+ failure/), 1, reports.join('\n'));
    assert.equal(matching(reports, /^request on the data store recovered/), 1, reports.join('\n'));
  });
});

describe('a read-only store (SQLITE_READONLY)', () => {
  let f: Faulty;
  let readOnly: (on: boolean) => void;
  before(async () => {
    f = await faultyServer();
    // The writer connection is private to the store: reached here only to inject the fault.
    const writer = (f.store as unknown as { backend: { writer: { db: { pragma(sql: string): unknown } } } }).backend.writer.db;
    readOnly = (on) => void writer.pragma(`query_only = ${on ? 'ON' : 'OFF'}`);
  });
  after(() => f.s.close());

  it('run start is a 503 that is logged and creates nothing', async () => {
    const { s, reports } = f;
    const runsBefore = await runCount(s);
    readOnly(true);
    try {
      const res = await s.api(START, { method: 'POST', json: { bundle_id: 'demo', flow_id: 'echo' } });
      const answer = (await res.json()) as { detail: string };
      assert.equal(res.status, 503, JSON.stringify(answer));
      assert.match(answer.detail, /^Storage read-only: /);
      assert.equal(matching(reports, /^request on the data store failed: SQLITE_READONLY/), 1, reports.join('\n'));
      assert.equal((await health(s)).body.status, 'degraded');
    } finally {
      readOnly(false);
    }
    assert.equal(await runCount(s), runsBefore);
    assert.equal(workspaceCount(s), 0);
  });

  it('the runner backs off and reports the fault once per streak, then runs the work', async () => {
    const { s, reports } = f;
    const runner = s.plane.runtime.runner!;
    await waitUntil(() => runner.retryDelayMs === 0, 'the runner to be past any earlier fault');
    const recoveredBefore = matching(reports, /^runner store write recovered/);
    // A runnable run the (stopped) runner has not claimed yet: claiming it is a write.
    await runner.stop();
    const runId = await startRun(s, { bundle_id: 'demo', flow_id: 'echo' });
    const before = matching(reports, /^runner store write failed: SQLITE_READONLY/);
    readOnly(true);
    runner.start();
    try {
      // Four failed cycles in a row: pauses of 100, 200, 400 and now 800 ms, instead of one
      // failed cycle per poll (every 50 ms here).
      await waitUntil(() => runner.retryDelayMs >= 800, 'four failed runner cycles', 10_000);
      assert.equal(matching(reports, /^runner store write failed: SQLITE_READONLY/) - before, 1, reports.join('\n'));
      assert.equal((await json(await s.api(`/api/gateway/runs/${runId}`))).status, 'running');
    } finally {
      readOnly(false);
    }
    await waitRun(s, runId, terminal, 15_000);
    await waitUntil(() => runner.retryDelayMs === 0, 'the runner to recover');
    assert.equal(matching(reports, /^runner store write recovered after \d+ failure/) - recoveredBefore, 1, reports.join('\n'));
    await waitUntil(async () => (await health(s)).status === 200, 'health to recover');
  });
});

describe('the audit log', () => {
  it('reports its own write failures once per streak, and its recovery', async () => {
    const reports: string[] = [];
    const s = await startServer({ report: (m) => reports.push(m), config: { runner: false } });
    try {
      // A directory where the log file should be: every append fails (EISDIR), even as root.
      const file = join(s.dataDir, 'audit_log.jsonl');
      await mkdir(file);
      for (let i = 0; i < 3; i++) await s.api('/api/gateway/bundles/reload', { method: 'POST' });
      await waitUntil(() => reports.some((l) => l.startsWith('audit log write failed: EISDIR')), 'the audit failure report');
      await rmdir(file);
      await s.api('/api/gateway/bundles/reload', { method: 'POST', headers: { 'x-client-id': 'after-recovery' } });
      await waitUntil(() => reports.some((l) => /^audit log write recovered after \d+ failure/.test(l)), 'the audit recovery report');
      assert.equal(matching(reports, /^audit log write failed/), 1, reports.join('\n'));
      // Lines are appended asynchronously: wait for the request's own line rather than race it.
      await waitUntil(async () => (await readFile(file, 'utf8')).includes('after-recovery') || undefined, 'the line of the request after recovery');
    } finally {
      await s.close();
    }
  });
});
