// Answers given before (or instead of) a route still use the {"detail": …} body clients parse
// (issue 7): the HTTP parser's refusals, the router's, Fastify's own errors, and a request that
// arrives while the server shuts down. Raw sockets, so nothing in a client library tidies up
// the request first.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, TEST_TOKEN, type TestServer } from '../helpers/http.js';
import { firstResponse, rawConnect } from '../helpers/raw-socket.js';

const AUTH = `Authorization: Bearer ${TEST_TOKEN}\r\n`;
const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: t\r\n${AUTH}${extra}Connection: close\r\n\r\n`;
const post = (path: string, type: string, body: string) =>
  `POST ${path} HTTP/1.1\r\nHost: t\r\n${AUTH}Content-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

const CASES: Array<[string, string, number, unknown]> = [
  ['bad percent-encoding in a gateway path', get('/api/gateway/runs/%E0%A4%A'), 400, 'Bad Request (invalid percent-encoding in the URL)'],
  ['bad percent-encoding outside the gateway', get('/api/health/%zz'), 400, 'Bad Request (invalid percent-encoding in the URL)'],
  ['a path parameter over the router limit', get(`/api/gateway/runs/${'r'.repeat(5000)}`), 414, 'URI Too Long (a path parameter is too long)'],
  ['headers over the parser limit', get('/api/gateway/ping', `X-Big: ${'b'.repeat(20_000)}\r\n`), 431, 'Request Header Fields Too Large'],
  ['a malformed request line', 'HELLO\r\n\r\n', 400, 'Bad Request'],
  ['an unknown HTTP version', 'GET / HTTP/9.9\r\nHost: t\r\n\r\n', 400, 'Bad Request'],
  ['two different Content-Lengths', `POST /api/gateway/commands HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`, 400, 'Bad Request'],
  ['an unknown path', get('/nope'), 404, 'Not Found'],
  ['an unknown method on a gateway path', `PROPFIND /api/gateway/ping HTTP/1.1\r\nHost: t\r\n${AUTH}Connection: close\r\n\r\n`, 404, 'Not Found'],
  ['an unsupported content type', post('/api/gateway/commands', 'text/x-nope', 'abc'), 415, 'Unsupported Media Type'],
  ['a body that is not JSON', post('/api/gateway/commands', 'application/json', '{x'), 422, [{ type: 'json_invalid', loc: ['body'], msg: 'JSON decode error', input: null }]],
];

describe('protocol-level errors', { timeout: 30_000 }, () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  for (const [what, request, status, detail] of CASES) {
    it(`${what} → ${status} {"detail"}`, async () => {
      const c = await rawConnect(s.url, request);
      const answer = firstResponse(await c.closed);
      assert.equal(answer.status, status);
      assert.match(answer.headers, /\r\ncontent-type: application\/json/i);
      assert.deepEqual(answer.body, { detail });
    });
  }
});

describe('a request arriving during shutdown', { timeout: 30_000 }, () => {
  it('gets 503 {"detail"} while the request in flight on its connection finishes normally', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    const s = await startServer({
      beforeListen: (app) => {
        app.get('/api/gateway/test/slow', async () => {
          entered();
          await gate;
          return { ok: true };
        });
      },
    });
    const c = await rawConnect(s.url, `GET /api/gateway/test/slow HTTP/1.1\r\nHost: t\r\n${AUTH}\r\n`);
    await inHandler;
    const closing = s.close();
    // Once the server stops listening the app is closing; the next request on the open connection:
    while (s.app.server.listening) await new Promise((r) => setImmediate(r));
    c.socket.write(`GET /api/gateway/ping HTTP/1.1\r\nHost: t\r\n${AUTH}\r\n`);
    open();
    const all = await c.closed;
    await closing;
    const [first, second] = all.split(/(?=HTTP\/1\.1 )/);
    assert.equal(firstResponse(first!).status, 200);
    const refused = firstResponse(second!);
    assert.equal(refused.status, 503);
    assert.match(refused.headers, /\r\nconnection: close/i);
    assert.deepEqual(refused.body, { detail: 'Service Unavailable (shutting down)' });
  });
});
