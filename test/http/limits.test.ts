// Limits of issue 7 through the real server: run budgets read from the environment, a bundle
// over the node/edge limits refused with a 413 before any compile work (upload and flows dir
// alike), and a history_bundle export of a large run tree capped, saying what it left out.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exec, flowOf, wire } from '../flow/flowkit.js';
import { bundleZip } from '../bundles/zip-helpers.js';
import { caller, fanOut, leaf, spin } from '../helpers/budget-flows.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { installFlows, json, startRun, terminal, waitRun } from './runs-kit.js';

const GW = '/api/gateway';

/** on_flow_start → n set_var nodes → on_flow_end, plus `listeners` on_event nodes. */
function chain(n: number, listeners = 0) {
  const middle = Array.from({ length: n }, (_, i) => exec(`s${i}`, 'set_var', { inputs: ['name', 'value'], pinDefaults: { name: 'x', value: i } }));
  const ids = ['start', ...middle.map((m) => m.id), 'end'];
  const events = Array.from({ length: listeners }, (_, i) => exec(`ev${i}`, 'on_event', { entry: true, eventConfig: { name: `e${i}` } }));
  return flowOf(
    [exec('start', 'on_flow_start', { entry: true }), ...middle, exec('end', 'on_flow_end', { execOuts: [] }), ...events],
    ids.slice(1).map((id, i) => wire(ids[i], id)),
    { id: 'root' },
  );
}

const upload = async (s: TestServer, bytes: Buffer) => {
  const fd = new FormData();
  fd.set('file', new Blob([bytes]), 'bundle.flow');
  return s.api(`${GW}/bundles/upload`, { method: 'POST', body: fd });
};

describe('run budgets from the environment', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { ABSTRACTGATEWAY_MAX_SUBFLOW_DEPTH: '3', ABSTRACTGATEWAY_RUN_MAX_STEPS: '200', ABSTRACTGATEWAY_RUN_MAX_CHILDREN: '2' } });
    await installFlows(s, 'runaway', [caller('rec', 'rec'), spin, fanOut, leaf]);
  });
  after(() => s.close());

  const failure = async (flowId: string, input_data = {}) => {
    const id = await startRun(s, { bundle_id: 'runaway', flow_id: flowId, input_data });
    await waitRun(s, id, terminal);
    const runs = (await json(await s.api(`${GW}/runs?limit=100`))).items as any[];
    return { runs, failed: runs.filter((r) => r.status === 'failed').map((r) => r.error as string) };
  };

  it('applies ABSTRACTGATEWAY_MAX_SUBFLOW_DEPTH, _RUN_MAX_STEPS and _RUN_MAX_CHILDREN', async () => {
    const rec = await failure('rec');
    assert.equal(rec.runs.length, 4, 'root + 3 nested children');
    assert.equal(rec.failed.length, 1);
    assert.match(rec.failed[0], /ABSTRACTGATEWAY_MAX_SUBFLOW_DEPTH=3/);
    assert.match((await failure('spin')).failed.join('\n'), /ABSTRACTGATEWAY_RUN_MAX_STEPS=200/);
    assert.match((await failure('fan_out', { n: 5 })).failed.join('\n'), /ABSTRACTGATEWAY_RUN_MAX_CHILDREN=2/);
  });

  it('refuses a start with a budget that is not a positive integer', () => {
    for (const name of ['ABSTRACTGATEWAY_MAX_SUBFLOW_DEPTH', 'ABSTRACTGATEWAY_RUN_MAX_STEPS', 'ABSTRACTGATEWAY_BUNDLE_MAX_NODES', 'ABSTRACTGATEWAY_HISTORY_MAX_RECORDS']) {
      assert.throws(() => loadConfig({ [name]: '0' }), (e) => e instanceof ConfigError && e.message.includes(`${name} must be a positive integer`));
    }
  });
});

describe('bundle graph limits', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { ABSTRACTGATEWAY_BUNDLE_MAX_NODES: '50', ABSTRACTGATEWAY_BUNDLE_MAX_EDGES: '40' }, config: { runner: false } });
  });
  after(() => s.close());

  it('refuses an upload over the node limit with 413 naming the setting, and installs nothing', async () => {
    const body = await json(await upload(s, await bundleZip('big', '1.0.0', { root: chain(60) })), 413);
    assert.match(body.detail, /Bundle 'big@1\.0\.0' is too large to compile: 62 nodes, over ABSTRACTGATEWAY_BUNDLE_MAX_NODES=50/);
    assert.deepEqual(await readdir(s.flowsDir), []);
  });

  it('counts each on_event listener as one more compile of its flow', async () => {
    // 22 nodes, compiled 3 times (the flow + 2 listeners) = 66 > 50.
    const body = await json(await upload(s, await bundleZip('listen', '1.0.0', { root: chain(18, 2) })), 413);
    assert.match(body.detail, /66 nodes \(its 2 on_event listeners each compile their flow once more\), over ABSTRACTGATEWAY_BUNDLE_MAX_NODES=50/);
  });

  it('refuses an upload over the edge limit', async () => {
    const flow = chain(10);
    flow.edges.push(...Array.from({ length: 35 }, (_, i) => ({ source: 'start', sourceHandle: `x${i}`, target: 'end', targetHandle: `y${i}` })));
    const body = await json(await upload(s, await bundleZip('edgy', '1.0.0', { root: flow })), 413);
    assert.match(body.detail, /ABSTRACTGATEWAY_BUNDLE_MAX_EDGES=40/);
  });

  it('accepts a bundle within the limits', async () => {
    const body = await json(await upload(s, await bundleZip('small', '1.0.0', { root: chain(30) })));
    assert.equal(body.bundle_ref, 'small@1.0.0');
  });

  it('skips an over-limit bundle found in the flows dir at reload, naming the limit', async () => {
    await writeFile(join(s.flowsDir, 'big.flow'), await bundleZip('big', '1.0.0', { root: chain(60) }));
    const body = await json(await s.api(`${GW}/bundles/reload`, { method: 'POST' }));
    assert.deepEqual(body.bundle_ids, ['small']);
    assert.equal(body.skipped.length, 1);
    assert.match(body.skipped[0].error, /ABSTRACTGATEWAY_BUNDLE_MAX_NODES=50/);
  });
});

describe('history_bundle caps', () => {
  let s: TestServer;
  let root: string;
  before(async () => {
    s = await startServer({ env: { ABSTRACTGATEWAY_HISTORY_MAX_RUNS: '3', ABSTRACTGATEWAY_HISTORY_MAX_RECORDS: '12' } });
    await installFlows(s, 'fan', [fanOut, leaf]);
    root = await startRun(s, { bundle_id: 'fan', flow_id: 'fan_out', input_data: { n: 5 } });
    await waitRun(s, root, terminal);
  });
  after(() => s.close());

  it('holds at most max_runs runs and max_records records, keeps the newest with absolute cursors, and says so', async () => {
    const children = await json(await s.api(`${GW}/runs?limit=100`));
    assert.equal(children.items.length, 6, 'root + 5 children exist');
    const bundle = await json(await s.api(`${GW}/runs/${root}/history_bundle?ledger_mode=full`));
    const ledgers = Object.values(bundle.ledgers) as any[];
    assert.equal(ledgers.length, 3);
    const kept = ledgers.reduce((n, l) => n + l.items.length, 0);
    assert.equal(kept, 12);
    assert.equal(bundle.timeline.length, 12);
    const rootLedger = bundle.ledgers[root];
    assert.ok(rootLedger.total > 12, 'the root alone has more records than the cap');
    assert.equal(rootLedger.items.length, 12, 'the root comes first and takes the whole budget');
    assert.equal(rootLedger.cursor_end, rootLedger.total);
    assert.equal(rootLedger.cursor_start, rootLedger.total - 11);
    assert.deepEqual(bundle.truncated, { runs_omitted: true, records_omitted: ledgers.reduce((n, l) => n + (l.total - l.items.length), 0), max_runs: 3, max_records: 12 });
  });

  it('reports no truncation when the export fits', async () => {
    const child = (await json(await s.api(`${GW}/runs?limit=100`))).items.find((r: any) => r.parent_run_id === root);
    const bundle = await json(await s.api(`${GW}/runs/${child.run_id}/history_bundle?ledger_mode=full`));
    assert.equal(bundle.truncated, null);
    assert.equal(bundle.ledgers[child.run_id].items.length, bundle.ledgers[child.run_id].total);
  });
});
