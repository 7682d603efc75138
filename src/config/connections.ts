// Connection limits of the HTTP server (issue 7): how long each phase of a connection may take,
// how many connections one client address and the whole process may hold, and how long a
// shutdown may last. A reliability probe held sockets open for ever (partial request lines,
// stalled bodies, 20k idle sockets from one address exhausting the fd limit, SIGTERM that never
// exited); every default here closes such sockets without touching well-behaved clients.

import { readFileSync } from 'node:fs';
import { ConfigError, parseBool, positiveNumber } from './config.js';

export interface ConnectionConfig {
  /** The request line and headers must arrive within this (also bounds a socket that sends nothing). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this; 0 = no limit. */
  requestTimeoutMs: number;
  /** An idle keep-alive socket between two requests is closed after this. */
  keepAliveTimeoutMs: number;
  /** A socket with no byte read or written for this long is closed; 0 = never. */
  socketIdleTimeoutMs: number;
  /** Open connections per process (beyond: closed at accept). */
  maxConnections: number;
  /** Open connections per client address (beyond: closed at accept); 0 = no cap. */
  maxConnectionsPerIp: number;
  /** Loopback peers (local tools, a reverse proxy on this host, benchmarks) skip the per-IP cap. */
  perIpExemptLoopback: boolean;
  /** SIGTERM/SIGINT: the process exits within this, whatever clients hold open. */
  shutdownTimeoutMs: number;
}

type Env = Record<string, string | undefined>;

/** Descriptors kept free of connections: the store, its WAL, bundles, artifacts, the audit log. */
const FD_RESERVE = 256;
/** Used when the process's descriptor limit cannot be read (non-Linux). */
const FALLBACK_MAX_CONNECTIONS = 16_384;

/** Soft RLIMIT_NOFILE of this process on Linux, undefined elsewhere or when unlimited. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Enough connections to reach the descriptor limit minus a reserve, so accept() never fails for want of an fd. */
export function defaultMaxConnections(fdLimit: number | undefined): number {
  return fdLimit === undefined ? FALLBACK_MAX_CONNECTIONS : Math.max(64, fdLimit - FD_RESERVE);
}

const ms = (env: Env, name: string, dfltS: number, allowZero = false) => Math.ceil(positiveNumber(env, name, dfltS, { allowZero }) * 1000);

export function loadConnectionConfig(env: Env = process.env, fdLimit: number | undefined = openFileLimit()): ConnectionConfig {
  const c: ConnectionConfig = {
    headersTimeoutMs: ms(env, 'ABSTRACTGATEWAY_HEADERS_TIMEOUT_S', 15),
    requestTimeoutMs: ms(env, 'ABSTRACTGATEWAY_REQUEST_TIMEOUT_S', 120, true),
    keepAliveTimeoutMs: ms(env, 'ABSTRACTGATEWAY_KEEPALIVE_TIMEOUT_S', 5),
    socketIdleTimeoutMs: ms(env, 'ABSTRACTGATEWAY_SOCKET_IDLE_TIMEOUT_S', 300, true),
    maxConnections: positiveNumber(env, 'ABSTRACTGATEWAY_MAX_CONNECTIONS', defaultMaxConnections(fdLimit), { integer: true }),
    maxConnectionsPerIp: positiveNumber(env, 'ABSTRACTGATEWAY_MAX_CONNECTIONS_PER_IP', 256, { integer: true, allowZero: true }),
    perIpExemptLoopback: parseBool(env.ABSTRACTGATEWAY_MAX_CONNECTIONS_PER_IP_EXEMPT_LOOPBACK, true, 'ABSTRACTGATEWAY_MAX_CONNECTIONS_PER_IP_EXEMPT_LOOPBACK'),
    shutdownTimeoutMs: ms(env, 'ABSTRACTGATEWAY_SHUTDOWN_TIMEOUT_S', 10),
  };
  // Node refuses a headers timeout longer than the request timeout it is part of.
  if (c.requestTimeoutMs > 0 && c.requestTimeoutMs < c.headersTimeoutMs) {
    throw new ConfigError(`ABSTRACTGATEWAY_REQUEST_TIMEOUT_S (${c.requestTimeoutMs / 1000}) must be at least ABSTRACTGATEWAY_HEADERS_TIMEOUT_S (${c.headersTimeoutMs / 1000}), or 0`);
  }
  return c;
}
