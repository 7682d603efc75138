// Input bounds at write, over real sockets (issue 7): ids no longer than a path segment can be
// (422 beyond, nothing created), JSON nesting capped (422), malformed multipart bodies are 400s
// on every route that parses them, no server path in an error body, and an Idempotency-Key
// reused with another body is a 409.

import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/http.js';
import { bundleZip } from '../bundles/zip-helpers.js';
import { exec, flowOf, wire } from '../flow/flowkit.js';
import { MAX_ID_CHARS, MAX_IDEMPOTENCY_KEY_CHARS, MAX_REF_CHARS } from '../../src/model/limits.js';
import { pathRedactor } from '../../src/http/redact.js';
import { demoFlows, installFlows, json, postCommand, startRun, waitingOnKey, waitRun } from './runs-kit.js';

const GW = '/api/gateway';
const id = (n: number, c = 'a') => c.repeat(n);
const runCount = async (s: TestServer) => (await json(await s.api(`${GW}/runs?limit=500`))).items.length as number;

/** The FastAPI-style 422 item for a string over the limit at `loc`. */
async function assertTooLong(res: Response, loc: (string | number)[]): Promise<void> {
  const body = await json(res, 422);
  assert.equal(body.detail[0].type, 'string_too_long');
  assert.deepEqual(body.detail[0].loc, loc);
}

const nested = (depth: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = { v };
  return v;
};

describe('input bounds at write', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
    await installFlows(s, 'demo', demoFlows());
  });
  after(() => s.close());

  it('ids longer than the limit are refused with 422 and create nothing', async () => {
    const before = await runCount(s);
    await assertTooLong(await s.api(`${GW}/runs/start`, { method: 'POST', json: { bundle_id: 'demo', flow_id: 'echo', session_id: id(MAX_ID_CHARS + 1) } }), ['body', 'session_id']);
    await assertTooLong(await s.api(`${GW}/runs/start`, { method: 'POST', json: { bundle_id: id(MAX_REF_CHARS + 1), flow_id: 'echo' } }), ['body', 'bundle_id']);
    await assertTooLong(
      await s.api(`${GW}/runs/start`, { method: 'POST', json: { bundle_id: 'demo', flow_id: 'echo' }, headers: { 'idempotency-key': id(MAX_IDEMPOTENCY_KEY_CHARS + 1) } }),
      ['header', 'idempotency-key'],
    );
    assert.equal(await runCount(s), before);

    await assertTooLong(await postCommand(s, { command_id: id(MAX_ID_CHARS + 1), run_id: 'r', type: 'pause' }), ['body', 'command_id']);
    await assertTooLong(await postCommand(s, { command_id: 'c-long-run', run_id: id(MAX_ID_CHARS + 1), type: 'pause' }), ['body', 'run_id']);
    assert.equal((await s.api(`${GW}/commands/c-long-run`)).status, 404);
  });

  it('an id at the limit is accepted and can be read back through its path route', async () => {
    const commandId = id(MAX_ID_CHARS, 'c');
    await json(await postCommand(s, { command_id: commandId, run_id: id(MAX_ID_CHARS, 'r'), type: 'pause' }));
    const read = await json(await s.api(`${GW}/commands/${commandId}`));
    assert.equal(read.command_id, commandId);
    // A workflow id made of three ids at the limit still fits a path segment (404, not 414).
    const workflowId = `${id(MAX_ID_CHARS)}@${id(MAX_ID_CHARS, '1')}:${id(MAX_ID_CHARS, 'f')}`;
    assert.equal((await s.api(`${GW}/workflows/${workflowId}/flow`)).status, 404);
    // So does an id at the limit whose every character is percent-encoded as 3 UTF-8 bytes.
    const encoded = encodeURIComponent(id(MAX_ID_CHARS, '€'));
    await json(await postCommand(s, { command_id: id(MAX_ID_CHARS, '€'), run_id: 'r', type: 'pause' }));
    assert.equal((await json(await s.api(`${GW}/commands/${encoded}`))).command_id, id(MAX_ID_CHARS, '€'));
  });

  it('a bundle whose manifest bundle_id is 5,000 characters is a 422 without any server path', async () => {
    const flow = flowOf([exec('start', 'on_flow_start', { entry: true }), exec('end', 'on_flow_end', { execOuts: [] })], [wire('start', 'end')], { id: 'root' });
    const zip = await bundleZip(id(5000), '0.0.0', { root: flow });
    const fd = new FormData();
    fd.set('file', new Blob([zip]), 'big.flow');
    const res = await s.api(`${GW}/bundles/upload`, { method: 'POST', body: fd });
    const text = await res.text();
    assert.equal(res.status, 422, text);
    assert.deepEqual(JSON.parse(text).detail[0].loc, ['body', 'file', 'manifest.json', 'bundle_id']);
    assert.ok(!text.includes(s.flowsDir) && !text.includes(s.dataDir), text);
    assert.ok(!(await readdir(s.flowsDir)).some((n) => n.includes(id(50))), 'nothing installed');
  });

  it('JSON nested deeper than the cap is a 422 before any handler; within it the payload is applied', async () => {
    const runId = await startRun(s, { bundle_id: 'demo', flow_id: 'ask' });
    const run = await waitRun(s, runId, waitingOnKey);
    const resume = (payload: unknown, commandId: string) =>
      postCommand(s, { command_id: commandId, run_id: runId, type: 'resume', payload: { wait_key: run.waiting.wait_key, payload: { response: payload } } });
    const res = await resume(nested(3000), 'deep-resume');
    const body = await json(res, 422);
    assert.equal(body.detail[0].type, 'json_too_deep');
    assert.equal((await s.api(`${GW}/commands/deep-resume`)).status, 404, 'the command was not stored');
    // The whole body counts: 95 levels of response + 5 of envelope = 100, the default cap.
    await json(await resume(nested(95), 'deep-ok'));
    const done = await waitRun(s, runId, (r) => r.status === 'completed');
    assert.equal(done.status, 'completed');
  });
});

describe('malformed multipart bodies', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ config: { runner: false } });
  });
  after(() => s.close());

  const routes = ['/bundles/upload', '/bundles/reload', '/bundles/demo/deprecate', '/bundles/demo/undeprecate'];
  const cases: [string, string, string][] = [
    ['no boundary', 'multipart/form-data', '--x\r\ncontent-disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n'],
    ['a boundary longer than any parser takes', `multipart/form-data; boundary=${'b'.repeat(300)}`, 'x'],
    ['a truncated part', 'multipart/form-data; boundary=x', '--x\r\ncontent-disposition: form-data; name="file"; filename="a.flow"\r\n\r\nPK'],
  ];

  for (const route of routes) {
    it(`${route}: 400 with a {"detail"} body, never a 500`, async () => {
      for (const [what, type, payload] of cases) {
        const res = await s.api(GW + route, { method: 'POST', headers: { 'content-type': type }, body: payload });
        const text = await res.text();
        assert.equal(res.status, 400, `${what}: ${text}`);
        assert.match(JSON.parse(text).detail, /^Malformed multipart\/form-data body/, what);
      }
    });
  }
});

describe('Idempotency-Key on run start', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ config: { runner: false } });
    await installFlows(s, 'demo', demoFlows());
  });
  after(() => s.close());

  it('the same key with the same body returns the first run; with another body it is a 409', async () => {
    const headers = { 'idempotency-key': 'key-409' };
    const body = { bundle_id: 'demo', flow_id: 'echo', input_data: { prompt: 'a', n: 1 } };
    const first = await startRun(s, body, headers);
    // Same body, other key order: the same request.
    assert.equal(await startRun(s, { input_data: { n: 1, prompt: 'a' }, flow_id: 'echo', bundle_id: 'demo' }, headers), first);
    const before = await runCount(s);
    const res = await s.api(`${GW}/runs/start`, { method: 'POST', json: { ...body, input_data: { prompt: 'b', n: 1 } }, headers });
    const answer = await json(res, 409);
    assert.match(answer.detail, /Idempotency-Key 'key-409' was already used with a different request body/);
    assert.equal(await runCount(s), before);
  });
});

describe('server paths in error bodies', () => {
  it('paths under the server roots are redacted everywhere, any absolute path in 5xx bodies', () => {
    const redact = pathRedactor(['/srv/gw/data', '/srv/gw/flows']);
    assert.equal(redact("ENAMETOOLONG: name too long, open '/srv/gw/flows/x@1.flow'", false), "ENAMETOOLONG: name too long, open '<server path>'");
    assert.equal(redact('Cannot read bundle directory /srv/gw/flows: EACCES', false), 'Cannot read bundle directory <server path>: EACCES');
    assert.equal(redact('workspace_root /home/someone/else is outside', false).includes('/home/someone/else'), true, 'a client path in a 4xx stays');
    assert.equal(redact('failed at /opt/app/dist/x.js line 3', true), 'failed at <server path> line 3');
    assert.equal(redact('/srv/gw/database is not under a root', false), '/srv/gw/database is not under a root');
  });
});
