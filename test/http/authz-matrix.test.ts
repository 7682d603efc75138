// The authorization matrix of hosted mode (issue 9, spec security §5.4–5.6): every route of the
// OpenAPI document × {anonymous, bad token, bad origin, user A, user B, admin}, over real sockets.
// A owns a bundle, a waiting run, a command and an artifact; B and the admin (root plane) must
// not see or touch any of them (404, or lists without them); admin routes are admin-only.
// A route missing from the table fails the test, so a new route must be classified (spec §8 W17).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mkdir, writeFile } from 'node:fs/promises';
import { bundleZip } from '../bundles/zip-helpers.js';
import type { TestServer } from '../helpers/http.js';
import { workflowIds } from '../helpers/bundles.js';
import { demoFlows } from './runs-kit.js';
import { ADMIN, call, createUser, GW, hostedServer, ok, type Call } from './hosted-kit.js';

type Who = 'anonymous' | 'bad-token' | 'bad-origin' | 'A' | 'B' | 'admin';
const WHO: Who[] = ['anonymous', 'bad-token', 'bad-origin', 'B', 'admin', 'A'];

interface Ids {
  runId: string;
  commandId: string;
  artifactId: string;
  workflowId: string;
}

/** What an identity gets: a status, or a check of the answer. */
type Expect = number | ((r: { status: number; body: any }, ids: Ids) => void);

interface Row {
  method: string;
  /** The OpenAPI path this row covers. */
  route: string;
  path: (ids: Ids) => string;
  body?: (who: Who, ids: Ids) => unknown;
  /** Expected answers of A, B and admin (anonymous and bad token: 401; bad origin: 403). */
  A: Expect;
  B: Expect;
  admin: Expect;
  /** Public routes answer anonymous callers themselves. */
  anonymous?: Expect;
  /** SSE: only the status is read. */
  stream?: boolean;
}

const listsRun = (present: boolean) => (r: { status: number; body: any }, ids: Ids) => {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(JSON.stringify(r.body).includes(ids.runId), present);
};
const listsBundle = (present: boolean) => (r: { status: number; body: any }) => {
  assert.equal(r.status, 200);
  assert.equal(JSON.stringify(r.body).includes('"demo'), present);
};
const removed = (was: boolean) => (r: { status: number; body: any }) => {
  assert.equal(r.status, 200);
  assert.equal(r.body.removed, was);
};
/** Reached the handler (authorised); the answer itself is about the request's content. */
const handled = (r: { status: number; body: any }) => assert.ok(![401, 403].includes(r.status), `${r.status} ${JSON.stringify(r.body)}`);

const F = 404; // a foreign id is simply not found
const ADMIN_ONLY = { A: 403, B: 403 } as const;

const ROWS: Row[] = [
  { method: 'GET', route: '/api/gateway/ping', path: () => `${GW}/ping`, A: 200, B: 200, admin: 200 },
  { method: 'GET', route: '/api/gateway/me', path: () => `${GW}/me`, A: 200, B: 200, admin: 200 },
  { method: 'POST', route: '/api/gateway/session/login', path: () => `${GW}/session/login`, body: () => ({ user_id: 'alice', token: 'agw_wrong' }), A: 401, B: 401, admin: 401, anonymous: 401 },
  { method: 'POST', route: '/api/gateway/session/logout', path: () => `${GW}/session/logout`, A: 200, B: 200, admin: 200 },
  { method: 'GET', route: '/api/gateway/admin/users', path: () => `${GW}/admin/users`, ...ADMIN_ONLY, admin: 200 },
  { method: 'POST', route: '/api/gateway/admin/users', path: () => `${GW}/admin/users`, body: () => ({ user_id: 'newbie' }), ...ADMIN_ONLY, admin: 200 },
  { method: 'GET', route: '/api/gateway/admin/users/{user_id}', path: () => `${GW}/admin/users/zed`, ...ADMIN_ONLY, admin: 200 },
  { method: 'PATCH', route: '/api/gateway/admin/users/{user_id}', path: () => `${GW}/admin/users/zed`, body: () => ({ email: 'z@example.com' }), ...ADMIN_ONLY, admin: 200 },
  { method: 'DELETE', route: '/api/gateway/admin/users/{user_id}', path: () => `${GW}/admin/users/zed`, ...ADMIN_ONLY, admin: 200 },
  { method: 'GET', route: '/api/gateway/admin/runtime-reservations', path: () => `${GW}/admin/runtime-reservations`, ...ADMIN_ONLY, admin: 200 },
  { method: 'POST', route: '/api/gateway/admin/runtime-reservations/{runtime_id}/transfer', path: () => `${GW}/admin/runtime-reservations/ghost/transfer`, body: () => ({ target_user_id: 'bob', confirm_runtime_id: 'ghost' }), ...ADMIN_ONLY, admin: 404 },
  { method: 'POST', route: '/api/gateway/admin/runtime-reservations/{runtime_id}/purge', path: () => `${GW}/admin/runtime-reservations/ghost/purge`, body: () => ({ confirm_runtime_id: 'ghost' }), ...ADMIN_ONLY, admin: 404 },
  { method: 'POST', route: '/api/gateway/runs/start', path: () => `${GW}/runs/start`, body: () => ({ bundle_id: 'demo', flow_id: 'ask' }), A: 200, B: F, admin: F },
  { method: 'GET', route: '/api/gateway/runs', path: () => `${GW}/runs`, A: listsRun(true), B: listsRun(false), admin: listsRun(false) },
  { method: 'GET', route: '/api/gateway/runs/{run_id}', path: (i) => `${GW}/runs/${i.runId}`, A: 200, B: F, admin: F },
  { method: 'GET', route: '/api/gateway/runs/{run_id}/input_data', path: (i) => `${GW}/runs/${i.runId}/input_data`, A: 200, B: F, admin: F },
  { method: 'GET', route: '/api/gateway/runs/{run_id}/history_bundle', path: (i) => `${GW}/runs/${i.runId}/history_bundle`, A: 200, B: F, admin: F },
  { method: 'GET', route: '/api/gateway/runs/{run_id}/ledger', path: (i) => `${GW}/runs/${i.runId}/ledger`, A: 200, B: F, admin: F },
  { method: 'GET', route: '/api/gateway/runs/{run_id}/ledger/stream', path: (i) => `${GW}/runs/${i.runId}/ledger/stream`, A: 200, B: F, admin: F, stream: true },
  { method: 'POST', route: '/api/gateway/runs/ledger/batch', path: () => `${GW}/runs/ledger/batch`, body: (_w, i) => ({ runs: [{ run_id: i.runId }] }), A: listsRun(true), B: listsRun(false), admin: listsRun(false) },
  // Another scope's inbox takes the command, but it can never reach A's run (checked after the matrix).
  { method: 'POST', route: '/api/gateway/commands', path: () => `${GW}/commands`, body: (w, i) => ({ command_id: `cmd-${w}`, run_id: i.runId, type: w === 'A' ? 'pause' : 'cancel' }), A: 200, B: 200, admin: 200 },
  { method: 'GET', route: '/api/gateway/commands/{command_id}', path: (i) => `${GW}/commands/${i.commandId}`, A: 200, B: F, admin: F },
  { method: 'GET', route: '/api/gateway/bundles', path: () => `${GW}/bundles`, A: listsBundle(true), B: listsBundle(false), admin: listsBundle(false) },
  { method: 'POST', route: '/api/gateway/bundles/reload', path: () => `${GW}/bundles/reload`, A: 200, B: 200, admin: 200 },
  { method: 'POST', route: '/api/gateway/bundles/upload', path: () => `${GW}/bundles/upload`, body: () => ({}), A: handled, B: handled, admin: handled },
  { method: 'GET', route: '/api/gateway/bundles/{bundle_id}', path: () => `${GW}/bundles/demo`, A: 200, B: F, admin: F },
  { method: 'POST', route: '/api/gateway/bundles/{bundle_id}/deprecate', path: () => `${GW}/bundles/demo/deprecate`, body: () => ({ flow_id: 'ask' }), A: 200, B: F, admin: F },
  // Undeprecating names no existing thing; another scope only clears its own (empty) list.
  { method: 'POST', route: '/api/gateway/bundles/{bundle_id}/undeprecate', path: () => `${GW}/bundles/demo/undeprecate`, body: () => ({ flow_id: 'ask' }), A: removed(true), B: removed(false), admin: removed(false) },
  { method: 'GET', route: '/api/gateway/bundles/{bundle_id}/flows/{flow_id}', path: () => `${GW}/bundles/demo/flows/ask`, A: 200, B: F, admin: F },
  { method: 'GET', route: '/api/gateway/bundles/{bundle_id}/flows/{flow_id}/input_schema', path: () => `${GW}/bundles/demo/flows/ask/input_schema`, A: 200, B: F, admin: F },
  { method: 'GET', route: '/api/gateway/workflows/{workflow_id}/flow', path: (i) => `${GW}/workflows/${encodeURIComponent(i.workflowId)}/flow`, A: 200, B: F, admin: F },
  { method: 'GET', route: '/api/gateway/runs/{run_id}/artifacts', path: (i) => `${GW}/runs/${i.runId}/artifacts`, A: 200, B: F, admin: F },
  { method: 'GET', route: '/api/gateway/runs/{run_id}/artifacts/{artifact_id}', path: (i) => `${GW}/runs/${i.runId}/artifacts/${i.artifactId}`, A: 200, B: F, admin: F },
  { method: 'GET', route: '/api/gateway/runs/{run_id}/artifacts/{artifact_id}/content', path: (i) => `${GW}/runs/${i.runId}/artifacts/${i.artifactId}/content`, A: 200, B: F, admin: F },
  { method: 'GET', route: '/api/gateway/discovery/tools', path: () => `${GW}/discovery/tools`, A: 200, B: 200, admin: 200 },
  { method: 'GET', route: '/api/gateway/discovery/providers', path: () => `${GW}/discovery/providers`, A: 200, B: 200, admin: 200 },
  { method: 'GET', route: '/api/gateway/discovery/providers/{provider_name}/models', path: () => `${GW}/discovery/providers/openai/models`, A: handled, B: handled, admin: handled },
  { method: 'GET', route: '/api/gateway/discovery/models/capabilities', path: () => `${GW}/discovery/models/capabilities?model_name=m`, A: 200, B: 200, admin: 200 },
  // Last: it removes A's bundle.
  { method: 'DELETE', route: '/api/gateway/bundles/{bundle_id}', path: () => `${GW}/bundles/demo`, A: 200, B: F, admin: F },
];

/** Status only: SSE streams are cancelled once the head arrives. */
async function streamStatus(s: TestServer, path: string, c: Call): Promise<{ status: number; body: any }> {
  const ctl = new AbortController();
  const headers: Record<string, string> = { ...c.headers };
  if (c.token) headers.authorization = `Bearer ${c.token}`;
  const res = await fetch(s.url + path, { headers, signal: ctl.signal });
  const body = res.status === 200 ? null : await res.json();
  ctl.abort();
  return { status: res.status, body };
}

describe('authorization matrix (hosted mode)', () => {
  it('every route × anonymous, bad token, bad origin, user A, user B, admin', async () => {
    const s = await hostedServer({ ABSTRACTGATEWAY_LOGIN_LOCKOUT_AFTER: '1000' });
    try {
      const A = await createUser(s, { user_id: 'alice' });
      const B = await createUser(s, { user_id: 'bob' });
      await createUser(s, { user_id: 'zed' });
      // A's bundle as a .flow archive in her own flows dir (so that deleting it is a file removal).
      const aliceFlows = join(s.dataDir, 'users', 'default', 'alice', 'flows');
      await mkdir(aliceFlows, { recursive: true });
      await writeFile(join(aliceFlows, 'demo@0.0.0.flow'), await bundleZip('demo', '0.0.0', Object.fromEntries(demoFlows().map((f) => [f.id, f]))));
      await ok(s, `${GW}/bundles/reload`, { token: A, json: {} });
      const runId = (await ok(s, `${GW}/runs/start`, { token: A, json: { bundle_id: 'demo', flow_id: 'ask' } })).run_id;
      const commandId = 'cmd-A';
      await ok(s, `${GW}/commands`, { token: A, json: { command_id: commandId, run_id: runId, type: 'pause' } });
      const alicePlane = await s.gateway.planeFor({ userId: 'alice', tenantId: 'default', roles: ['user'], scopes: [], tokenFingerprint: '', runtimeId: 'alice', source: 'user-registry' });
      const artifactId = (await alicePlane.runtime.putArtifact(Buffer.from('alice only'), { run_id: runId })).artifact_id;
      const ids: Ids = { runId, commandId, artifactId, workflowId: workflowIds('demo', demoFlows()).ask! };

      // Every route of the API is in the table.
      const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as { paths: Record<string, object> };
      const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
      const covered = new Set(ROWS.map((r) => `${r.method} ${r.route}`));
      assert.deepEqual(routes.filter((r) => r.includes('/api/gateway') && !covered.has(r)), [], 'unclassified routes');

      const token: Record<Who, string | null> = { anonymous: null, 'bad-token': 'agw_not-a-real-token', 'bad-origin': A, A, B, admin: ADMIN };
      for (const row of ROWS) {
        for (const who of WHO) {
          const c: Call = { method: row.method, token: token[who], headers: who === 'bad-origin' ? { origin: 'http://evil.example' } : {} };
          const body = row.body?.(who, ids);
          if (body !== undefined) c.json = body;
          else if (row.method !== 'GET' && row.method !== 'DELETE') c.json = {};
          const path = row.path(ids);
          const r = row.stream ? await streamStatus(s, path, c) : await call(s, path, c);
          const expect: Expect = who === 'bad-origin' ? 403 : who === 'anonymous' ? (row.anonymous ?? 401) : who === 'bad-token' ? (row.anonymous ?? 401) : row[who];
          const where = `${who} ${row.method} ${path}`;
          if (typeof expect === 'number') assert.equal(r.status, expect, `${where}: ${JSON.stringify(r.body)}`);
          else
            try {
              expect(r, ids);
            } catch (e) {
              throw new Error(`${where}: ${(e as Error).message}`);
            }
        }
      }

      // B's and the admin's cancel commands went to their own inboxes: A's run was never cancelled.
      const run = await ok(s, `${GW}/runs/${runId}`, { token: A });
      assert.notEqual(run.status, 'cancelled');
      assert.equal((await ok(s, `${GW}/commands/cmd-B`, { token: B })).run_id, runId);
    } finally {
      await s.close();
    }
  });
});
