// Every phase of a connection is bounded (issue 7), with Node's own server machinery wherever it
// does the job:
//   connect → request line + headers   headersTimeout (also a socket that never sends a byte)
//   headers → last body byte           requestTimeout (a stalled body; 408, then closed)
//   response → next request            keepAliveTimeout (idle keep-alive socket)
//   any phase, nothing moving          socket idle timeout (a client that stops reading a reply)
// and at accept: a global cap (server.maxConnections) and a per-address cap, so one address
// cannot take every descriptor. requestTimeout only covers receiving the request, so an SSE
// stream (a GET without body) lives on; its heartbeats keep it clear of the idle timeout.

import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionConfig } from '../config/connections.js';
import { isLoopback, peerAddress } from './security/client.js';

/** Node checks the headers/request timeouts on an interval (default 30 s); check often enough that
 *  a timeout fires close to its value, and never more than every 25 ms. */
const checkingInterval = (c: ConnectionConfig) =>
  Math.max(25, Math.min(1000, Math.floor(Math.min(c.headersTimeoutMs, c.requestTimeoutMs || Infinity) / 4)));

/** The Fastify constructor options carrying the timeouts. */
export function timeoutOptions(c: ConnectionConfig) {
  return {
    requestTimeout: c.requestTimeoutMs,
    keepAliveTimeout: c.keepAliveTimeoutMs,
    connectionTimeout: c.socketIdleTimeoutMs,
    http: { headersTimeout: c.headersTimeoutMs, requestTimeout: c.requestTimeoutMs, connectionsCheckingInterval: checkingInterval(c) },
  };
}

/** Installs the global and per-address connection caps on the server. */
export function capConnections(server: Server, c: ConnectionConfig): void {
  // Node closes a connection over maxConnections at accept, before any byte is read.
  server.maxConnections = c.maxConnections;
  if (c.maxConnectionsPerIp <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const ip = peerAddress(socket);
    if (c.perIpExemptLoopback && isLoopback(ip)) return;
    const n = (open.get(ip) ?? 0) + 1;
    if (n > c.maxConnectionsPerIp) {
      // Closed before the parser reads anything: the request is never routed.
      socket.destroy();
      return;
    }
    open.set(ip, n);
    socket.once('close', () => {
      const left = open.get(ip)! - 1;
      if (left === 0) open.delete(ip);
      else open.set(ip, left);
    });
  });
}
