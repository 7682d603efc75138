// Errors answered before a request reaches a route still carry the {"detail": …} body clients
// parse (issue 7: 151 protocol-level answers used Fastify's or Node's own bodies):
//   - the HTTP parser's refusals (malformed request 400, headers too large 431, request or
//     headers timeout 408), written on the raw socket from the server's 'clientError' event;
//   - the router's (bad percent-encoding 400, a path parameter over maxParamLength 414);
//   - requests arriving on an open connection while the server shuts down (503), which Fastify
//     would otherwise answer itself (return503OnClosing).
// Everything after routing goes through the error handler in errors.ts.

import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Status and detail for an error of Node's HTTP parser (codes from llhttp and node:http). */
function parserRefusal(code: string | undefined): [number, string] {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'Request Timeout'];
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'Request Header Fields Too Large'];
  return [400, 'Bad Request'];
}

/** Fastify's `clientErrorHandler`: answer once in JSON if nothing was sent yet, then close. */
function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset peer has gone: nothing to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // Node's rule: never write into a response whose head already went out.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const [status, detail] = parserRefusal(err.code);
    const body = JSON.stringify({ detail });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

const ROUTER_REFUSALS: Record<string, [number, string]> = {
  FST_ERR_BAD_URL: [400, 'Bad Request (invalid percent-encoding in the URL)'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'URI Too Long (a path parameter is too long)'],
};

/** Fastify's `frameworkErrors`: the router's refusals, answered without echoing the URL. */
function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const [status, detail] = ROUTER_REFUSALS[err.code] ?? [err.statusCode ?? 400, err.message];
  void reply.code(status).header('x-request-id', req.id).type('application/json; charset=utf-8').send({ detail });
}

/** Fastify options that hand these answers to this module. */
export const protocolErrorOptions = { clientErrorHandler, frameworkErrors, return503OnClosing: false } as const;

/** While the app closes, a request on a still-open connection gets 503 and the connection closes. */
export function answerWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Callback style: on the hot path, no promise per request.
  app.addHook('onRequest', (req, reply, done) => {
    if (!closing) return done();
    void reply
      .code(503)
      .headers({ connection: 'close', 'x-request-id': req.id })
      .type('application/json; charset=utf-8')
      .send({ detail: 'Service Unavailable (shutting down)' });
  });
}
