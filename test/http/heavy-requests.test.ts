// Heavy requests do not hold the event loop (issue 7), over real sockets: a history_bundle export
// is streamed (the same bytes a one-piece JSON.stringify would send, in chunks), and /api/health
// answers while ten of them stream; a bundle whose flow file is large is parsed and counted off
// the event loop, so health answers while it is parsed, and one over the node limit is refused
// (413) without the event loop ever parsing it.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import http from 'node:http';
import { buildZip, bundleZip, manifestFor } from '../bundles/zip-helpers.js';
import { bigFlow, fanOut, leaf } from '../helpers/budget-flows.js';
import { TEST_TOKEN, startServer, type TestServer } from '../helpers/http.js';
import { rawConnect } from '../helpers/raw-socket.js';
import { installFlows, json, startRun, terminal, waitRun } from './runs-kit.js';
import { FLOW_PARSE_CHANNEL } from '../../src/bundles/flow-parse-thread.js';

const GW = '/api/gateway';

interface Fetched {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * GET `path` on its own connection. `onFirstChunk` runs when the first body bytes arrive; the
 * promise settles when the body has ended; `log` gets `label` at that moment.
 */
function get(s: TestServer, path: string, label: string, log: string[], onFirstChunk?: () => void): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    http
      .get(s.url + path, { agent: false, headers: { authorization: `Bearer ${TEST_TOKEN}` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          if (chunks.length === 0) onFirstChunk?.();
          chunks.push(c);
        });
        res.on('end', () => {
          log.push(label);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('history_bundle streaming', () => {
  let s: TestServer;
  let tree: string;
  let long: string;
  before(async () => {
    s = await startServer();
    await installFlows(s, 'heavy', [bigFlow, fanOut, leaf]);
    tree = await startRun(s, { bundle_id: 'heavy', flow_id: 'fan_out', input_data: { n: 2 } });
    long = await startRun(s, { bundle_id: 'heavy', flow_id: 'big', input_data: { n: 6000, big: 'line ' } });
    await waitRun(s, tree, terminal);
    await waitRun(s, long, terminal, 60_000);
  });
  after(() => s.close());

  it('sends, in chunks, exactly the bytes JSON.stringify of the document gives, records as the ledger has them', async () => {
    const res = await get(s, `${GW}/runs/${tree}/history_bundle?ledger_mode=full&include_session=true`, 'export', []);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.equal(res.headers['content-length'], undefined);
    const doc = JSON.parse(res.body);
    assert.equal(res.body, JSON.stringify(doc), 'same bytes as one JSON.stringify: no whitespace, same escapes, same key order');
    assert.deepEqual(Object.keys(doc), ['version', 'generated_at', 'root_run_id', 'run', 'workflow_snapshot', 'input_data', 'ledgers', 'timeline', 'session', 'truncated']);
    const runIds = Object.keys(doc.ledgers);
    assert.equal(runIds.length, 3, 'root and its two children');
    let records = 0;
    for (const id of runIds) {
      const l = doc.ledgers[id];
      assert.deepEqual(Object.keys(l), ['run_id', 'total', 'cursor_start', 'cursor_end', 'items', 'artifacts']);
      const page = await json(await s.api(`${GW}/runs/${id}/ledger?after=0&limit=500`));
      assert.deepEqual(l.items, page.items.map((record: unknown, i: number) => ({ cursor: i + 1, record })));
      records += l.items.length;
    }
    assert.equal(doc.timeline.length, records);
    assert.deepEqual(Object.keys(doc.timeline[0]), ['run_id', 'cursor', 'node_id', 'status', 'effect_type', 'started_at', 'ended_at', 'duration_ms']);
    assert.deepEqual(doc.session.turns.map((t: { run_id: string }) => t.run_id), [tree]);
    assert.equal(doc.truncated, null);
  });

  it('answers /api/health while ten exports of a 12,000-record run stream', async () => {
    const log: string[] = [];
    let health: Promise<Fetched> | undefined;
    const path = `${GW}/runs/${long}/history_bundle?ledger_mode=full`;
    // Health is asked once the first export has begun to arrive: the exports are under way.
    const exports = Array.from({ length: 10 }, (_, i) =>
      get(s, path, `export ${i}`, log, i === 0 ? () => (health = get(s, '/api/health', 'health', log)) : undefined),
    );
    const bodies = await Promise.all(exports);
    assert.equal((await health!).status, 200);
    assert.equal(log[0], 'health', `health answered before any export ended (order: ${log.join(', ')})`);
    const doc = JSON.parse(bodies[0].body);
    assert.equal(doc.ledgers[long].items.length, 12_002);
    assert.equal(doc.timeline.length, 12_002);
    assert.ok(bodies.every((b) => b.body === bodies[0].body.replace(/"generated_at":"[^"]*"/, `"generated_at":${JSON.stringify(JSON.parse(b.body).generated_at)}`)));
  });

  it('produces the body page by page: many small HTTP chunks, never the document in one piece', async () => {
    const raw = await rawConnect(s.url, `GET ${GW}/runs/${long}/history_bundle?ledger_mode=full HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nConnection: close\r\n\r\n`);
    const response = await raw.closed; // ASCII only: the records say 'line <i>'
    let at = response.indexOf('\r\n\r\n') + 4;
    const sizes: number[] = [];
    for (;;) {
      const eol = response.indexOf('\r\n', at);
      const size = parseInt(response.slice(at, eol), 16);
      if (size === 0) break;
      sizes.push(size);
      at = eol + 2 + size + 2;
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    assert.ok(sizes.length >= 12_002 / 100, `one chunk per ledger page at least (${sizes.length} chunks)`);
    assert.ok(Math.max(...sizes) < total / 50, `largest chunk ${Math.max(...sizes)} of ${total} bytes`);
  });

  it('still answers 404 for an unknown run (before any byte is streamed)', async () => {
    assert.deepEqual(await json(await s.api(`${GW}/runs/nope/history_bundle`), 404), { detail: "Run 'nope' not found" });
  });
});

/** on_flow_start → n set_var nodes in a chain: about 230 bytes of flow JSON per node. */
function chainFlow(n: number) {
  const nodes = Array.from({ length: n }, (_, i) => ({
    id: `n${i}`,
    type: i === 0 ? 'on_flow_start' : 'set_var',
    data: { inputs: [{ id: 'exec-in', type: 'execution' }], outputs: [{ id: 'exec-out', type: 'execution' }] },
  }));
  const edges = nodes.slice(1).map((node, i) => ({ source: nodes[i].id, sourceHandle: 'exec-out', target: node.id, targetHandle: 'exec-in' }));
  return { id: 'root', nodes, edges };
}

const upload = (s: TestServer, bytes: Buffer, label: string, log: string[]) => {
  const fd = new FormData();
  fd.set('file', new Blob([bytes]), 'bundle.flow');
  return s.api(`${GW}/bundles/upload`, { method: 'POST', body: fd }).then(async (r) => {
    const body = (await r.json()) as { detail: string; bundle_ref?: string };
    log.push(label);
    return { status: r.status, body };
  });
};

describe('large bundle flow files', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ config: { runner: false } });
  });
  after(() => s.close());

  /** Runs `work`, asking /api/health as each off-thread parse starts; returns the event order. */
  async function healthDuringParses<T>(work: (log: string[]) => Promise<T>): Promise<{ result: T; log: string[]; health: Promise<Fetched>[] }> {
    const log: string[] = [];
    const health: Promise<Fetched>[] = [];
    const onParse = (m: unknown) => {
      const { phase } = m as { phase: string };
      log.push(`parse ${phase}`);
      if (phase === 'start') health.push(get(s, '/api/health', 'health', log));
    };
    subscribe(FLOW_PARSE_CHANNEL, onParse);
    try {
      return { result: await work(log), log, health };
    } finally {
      unsubscribe(FLOW_PARSE_CHANNEL, onParse);
    }
  }

  it('refuses a flow over the node limit (413) after counting it off the event loop, health answering meanwhile', async () => {
    const zip = await bundleZip('huge', '1.0.0', { root: chainFlow(60_000) }); // ~14 MB of flow JSON
    const { result, log, health } = await healthDuringParses((l) => upload(s, zip, 'upload', l));
    assert.equal(result.status, 413);
    assert.match(result.body.detail, /Bundle 'huge@1\.0\.0' is too large to compile: 60000 nodes, over ABSTRACTGATEWAY_BUNDLE_MAX_NODES=20000/);
    assert.equal(health.length, 1, 'the flow was parsed off the event loop');
    assert.equal((await health[0]).status, 200);
    assert.deepEqual(log, ['parse start', 'health', 'parse end', 'upload']);
    assert.deepEqual((await json(await s.api(`${GW}/bundles`))).items, [], 'nothing installed');
  });

  it('accepts a large flow within the limits (counted off the event loop, then compiled)', async () => {
    const zip = await bundleZip('wide', '1.0.0', { root: chainFlow(3_000) }); // ~700 KB of flow JSON
    const { result, log } = await healthDuringParses((l) => upload(s, zip, 'upload', l));
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.equal(result.body.bundle_ref, 'wide@1.0.0');
    assert.ok(log.includes('parse start'), 'validated off the event loop (the reload after the install reads it once more)');
  });

  it('reports a large flow file that is not JSON as a bad bundle (400), parsed off the event loop', async () => {
    const notJson = `{"nodes": [${'{"id": "x"},'.repeat(30_000)}`; // ~330 KB, cut short
    const zip = await buildZip([
      { name: 'manifest.json', data: JSON.stringify(manifestFor('broken', '1.0.0', ['root'])) },
      { name: 'flows/root.json', data: notJson, compress: false },
    ]);
    const { result, log } = await healthDuringParses((l) => upload(s, zip, 'upload', l));
    assert.equal(result.status, 400);
    assert.match(result.body.detail, /^flows\/root\.json is not valid UTF-8 JSON: /);
    assert.equal(log[0], 'parse start');
  });
});
