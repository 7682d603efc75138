// The connection layer over real sockets (issue 7): stalled bodies hold no concurrency permit,
// every phase of a connection times out (nothing sent, half a request line, a stalled body, an
// idle keep-alive socket) while an SSE stream lives on, and the per-address and global caps
// close excess connections at accept.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { askFlow } from '../flow/flowkit.js';
import { workflowIds, writeBundleDir } from '../helpers/bundles.js';
import { startServer, TEST_TOKEN, type TestServer } from '../helpers/http.js';
import type { GatewayApp } from '../../src/http/types.js';
import { waitUntil } from '../helpers/processes.js';
import { firstResponse, rawConnect } from '../helpers/raw-socket.js';
import { SseReader } from '../helpers/sse.js';

async function withServer(env: Record<string, string>, body: (s: TestServer) => Promise<void>, beforeListen?: (app: GatewayApp) => void) {
  const s = await startServer({ env, beforeListen });
  try {
    await body(s);
  } finally {
    await s.close();
  }
}

/** A request whose body stops after 3 of the 1000 bytes it announces. */
const stalledCommand = `POST /api/gateway/commands HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a`;

/** Current open connections of the server, as Node counts them. */
const connections = (s: TestServer) => new Promise<number>((resolve, reject) => s.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

describe('stalled bodies', { timeout: 30_000 }, () => {
  it('hold no concurrency permit: with the pool size of stalled requests in flight, others are served, and a completed body is answered', async () => {
    let arrived = 0;
    await withServer(
      { ABSTRACTGATEWAY_MAX_CONCURRENCY: '4' },
      async (s) => {
        const stalled = await Promise.all(Array.from({ length: 8 }, () => rawConnect(s.url, stalledCommand)));
        // Every stalled request has passed the headers guards (auth, body cap) and waits for its body.
        await waitUntil(() => arrived === 8, 'the stalled requests to reach the server');
        for (let i = 0; i < 3; i++) {
          const res = await s.api('/api/gateway/ping');
          assert.equal(res.status, 200, `others are served, not refused: ${await res.text()}`);
        }
        // A body that finally arrives gets an ordinary answer (here: the command's validation).
        const late = stalled[0]!;
        late.socket.write(`":1}${' '.repeat(1000 - 7)}`);
        const answer = firstResponse(await late.receivedText('\r\n\r\n{'));
        assert.equal(answer.status, 422);
        for (const c of stalled) c.socket.destroy();
      },
      (app) => {
        app.addHook('onRequest', async (req) => {
          if (req.url === '/api/gateway/commands') arrived++;
        });
      },
    );
  });

  it('are answered 408 {"detail"} and closed when the request timeout passes', async () => {
    await withServer({ ABSTRACTGATEWAY_HEADERS_TIMEOUT_S: '0.2', ABSTRACTGATEWAY_REQUEST_TIMEOUT_S: '0.3' }, async (s) => {
      const c = await rawConnect(s.url, stalledCommand);
      const answer = firstResponse(await c.closed);
      assert.equal(answer.status, 408);
      assert.match(answer.headers, /content-type: application\/json/i);
      assert.deepEqual(answer.body, { detail: 'Request Timeout' });
    });
  });
});


describe('connection timeouts', { timeout: 30_000 }, () => {
  const short = { ABSTRACTGATEWAY_HEADERS_TIMEOUT_S: '0.2', ABSTRACTGATEWAY_REQUEST_TIMEOUT_S: '0.3', ABSTRACTGATEWAY_KEEPALIVE_TIMEOUT_S: '0.2' };

  it('close a socket that sends nothing and one that stops inside its request line, with a 408 {"detail"}', async () => {
    await withServer(short, async (s) => {
      const silent = await rawConnect(s.url);
      const partial = await rawConnect(s.url, 'GET /api/gateway/pi');
      for (const c of [silent, partial]) {
        const answer = firstResponse(await c.closed);
        assert.equal(answer.status, 408);
        assert.deepEqual(answer.body, { detail: 'Request Timeout' });
      }
      assert.equal(await connections(s), 0);
    });
  });

  it('close an idle keep-alive socket after its response, without a second answer', async () => {
    await withServer(short, async (s) => {
      const c = await rawConnect(s.url, `GET /api/gateway/ping HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${TEST_TOKEN}\r\n\r\n`);
      const all = await c.closed;
      assert.equal(firstResponse(all).status, 200);
      assert.match(all, /keep-alive/i, 'the connection was offered for reuse');
      assert.equal(all.match(/HTTP\/1\.1 /g)!.length, 1);
    });
  });

  it('leave an SSE stream open past the request and headers timeouts while they close idle sockets', async () => {
    await withServer(short, async (s) => {
      await writeBundleDir(s.flowsDir, 'conn', [askFlow()]);
      await s.plane.catalog.reloadBundles();
      const { run_id } = await s.plane.runtime.startRun({ workflow_id: workflowIds('conn', [askFlow()]).ask });
      const res = await s.api(`/api/gateway/runs/${run_id}/ledger/stream?heartbeat_s=0.2`);
      assert.equal(res.status, 200);
      const stream = new SseReader(res);
      // An idle socket opened after the stream is closed by the headers timeout …
      const idle = await rawConnect(s.url);
      await idle.closed;
      // … and the stream, older than it, keeps delivering heartbeats after that.
      const seen = (await stream.until((f) => f.some((x) => x.comment === 'keep-alive'), 5000)).length;
      await stream.until((f) => f.length >= seen + 2 && f.slice(seen).every((x) => x.comment === 'keep-alive'), 5000);
      assert.equal(stream.ended, false);
      await stream.cancel();
    });
  });
});

describe('connection caps', { timeout: 30_000 }, () => {
  it('close connections from one address beyond ABSTRACTGATEWAY_MAX_CONNECTIONS_PER_IP, and admit again once one closes', async () => {
    await withServer({ ABSTRACTGATEWAY_MAX_CONNECTIONS_PER_IP: '3', ABSTRACTGATEWAY_MAX_CONNECTIONS_PER_IP_EXEMPT_LOOPBACK: '0' }, async (s) => {
      const held = [await rawConnect(s.url), await rawConnect(s.url), await rawConnect(s.url)];
      await waitUntil(async () => (await connections(s)) === 3, 'the server to accept three connections');
      const excess = await rawConnect(s.url, `GET /api/gateway/ping HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${TEST_TOKEN}\r\n\r\n`);
      assert.equal(await excess.closed, '', 'closed at accept, never answered');
      assert.equal(held.filter((c) => c.socket.destroyed).length, 0, 'the admitted connections stay open');
      held[0]!.socket.destroy();
      await waitUntil(async () => (await connections(s)) === 2, 'the server to see one connection close');
      assert.equal((await s.api('/api/gateway/ping')).status, 200);
      for (const c of held) c.socket.destroy();
    });
  });

  it('exempt loopback peers from the per-address cap by default', async () => {
    await withServer({ ABSTRACTGATEWAY_MAX_CONNECTIONS_PER_IP: '1' }, async (s) => {
      const held = [await rawConnect(s.url), await rawConnect(s.url)];
      await waitUntil(async () => (await connections(s)) === 2, 'the server to accept both connections');
      assert.equal((await s.api('/api/gateway/ping')).status, 200);
      for (const c of held) c.socket.destroy();
    });
  });

  it('close connections beyond ABSTRACTGATEWAY_MAX_CONNECTIONS, whatever their address', async () => {
    await withServer({ ABSTRACTGATEWAY_MAX_CONNECTIONS: '2' }, async (s) => {
      const held = [await rawConnect(s.url), await rawConnect(s.url)];
      await waitUntil(async () => (await connections(s)) === 2, 'the server to accept two connections');
      const excess = await rawConnect(s.url, 'GET /api/health HTTP/1.1\r\nHost: t\r\n\r\n');
      assert.equal(await excess.closed, '');
      for (const c of held) c.socket.destroy();
    });
  });
});
