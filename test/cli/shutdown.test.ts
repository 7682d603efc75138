// SIGTERM of a real `serve` process ends, whatever clients hold open (issue 7: it never exited
// while a client held an idle socket): an idle keep-alive socket, a live SSE stream, and a
// connection that sent half a request line (which Node never counts as idle).

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { askFlow } from '../flow/flowkit.js';
import { writeBundleDir } from '../helpers/bundles.js';
import { launchCli } from '../helpers/cli.js';
import { shutdownWithin } from '../../src/cli/shutdown.js';
import { firstResponse, rawConnect } from '../helpers/raw-socket.js';
import { SseReader } from '../helpers/sse.js';

const TOKEN = 'cli-shutdown-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };


describe('serve shutdown', () => {
  it('exits cleanly on SIGTERM within the deadline while clients hold an idle keep-alive socket, an SSE stream and half a request', { timeout: 60_000 }, async () => {
    const root = await mkdtemp(join(tmpdir(), 'agw-shutdown-'));
    const flowsDir = join(root, 'flows');
    await mkdir(flowsDir, { recursive: true });
    await writeBundleDir(flowsDir, 'down', [askFlow()]);
    const p = launchCli(['serve', '--host', '127.0.0.1', '--port', '0'], {
      ABSTRACTGATEWAY_DATA_DIR: join(root, 'data'),
      ABSTRACTGATEWAY_FLOWS_DIR: flowsDir,
      ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN,
      ABSTRACTGATEWAY_SHUTDOWN_TIMEOUT_S: '3',
      // Long phase timeouts: only the shutdown may close these sockets here.
      ABSTRACTGATEWAY_HEADERS_TIMEOUT_S: '600',
      ABSTRACTGATEWAY_REQUEST_TIMEOUT_S: '600',
      ABSTRACTGATEWAY_KEEPALIVE_TIMEOUT_S: '600',
    });
    try {
      const url = await p.url;
      // Connected first: the server accepts connections in order, so once the later requests are
      // answered this one is accepted too, sitting in the middle of its request line.
      const partial = await rawConnect(url, 'GET /api/gateway/pi');

      const keepAlive = await rawConnect(url, `GET /api/gateway/ping HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
      await keepAlive.receivedText('"ok"');
      assert.equal(firstResponse(keepAlive.received()).status, 200);

      const started = await fetch(`${url}/api/gateway/runs/start`, { method: 'POST', headers: auth, body: JSON.stringify({ bundle_id: 'down', flow_id: 'ask' }) });
      assert.equal(started.status, 200, await started.clone().text());
      const { run_id } = (await started.json()) as { run_id: string };
      const res = await fetch(`${url}/api/gateway/runs/${run_id}/ledger/stream?heartbeat_s=0.2`, { headers: auth });
      assert.equal(res.status, 200);
      const stream = new SseReader(res);
      await stream.until((f) => f.some((x) => x.comment === 'keep-alive'));

      p.child.kill('SIGTERM');
      assert.equal(await p.exit, 0, p.output());
      assert.match(p.output(), /SIGTERM: shutting down \(at most 3 s\)/);
      assert.match(p.output(), /shutdown: closing the connections still open/, 'the half request held the server until the cut');
      assert.doesNotMatch(p.output(), /exiting now/);
      await Promise.all([partial.closed, keepAlive.closed]);
      await stream.until(() => false).catch(() => undefined);
      assert.equal(stream.ended, true, 'the SSE stream was ended by the server');
    } finally {
      p.child.kill('SIGKILL');
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('shutdownWithin', () => {
  it('cuts the connections before the deadline, then exits with 1 if the graceful path still hangs', async () => {
    const events: string[] = [];
    let exited!: () => void;
    const exit = new Promise<void>((r) => (exited = r));
    const stop = new Promise<void>(() => undefined); // a step that never finishes
    void shutdownWithin({
      deadlineMs: 200,
      stop: () => stop,
      cutConnections: () => events.push('cut'),
      say: (m) => events.push(m),
      exit: (code) => {
        events.push(`exit ${code}`);
        exited();
      },
    });
    await exit;
    assert.deepEqual(events, [
      'shutdown: closing the connections still open',
      'cut',
      'shutdown: not done after 0.2 s (ABSTRACTGATEWAY_SHUTDOWN_TIMEOUT_S); exiting now',
      'exit 1',
    ]);
  });

  it('leaves no timer behind once the graceful path has finished', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const events: string[] = [];
    await shutdownWithin({ deadlineMs: 50, stop: async () => undefined, cutConnections: () => events.push('cut'), say: (m) => events.push(m), exit: () => events.push('exit') });
    assert.equal(timers(), before, 'the cut and the hard exit are cancelled');
    assert.deepEqual(events, []);
  });
});
