// The connection pool every PostgreSQL store of a process uses, and how its errors read.
// BIGINT columns hold milliseconds and identities far below 2^53: they are parsed as numbers
// (pg's default hands int8 back as strings).

import pg from 'pg';

const INT8_OID = 20;

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

export interface PoolOptions {
  url: string;
  /** Connections kept at most (default 10). */
  max?: number;
}

export function openPool(o: PoolOptions): pg.Pool {
  const pool = new pg.Pool({ connectionString: o.url, max: o.max ?? 10, types, connectionTimeoutMillis: 10_000 });
  // An idle client losing its server (restart, failover) must not crash the process: the next
  // checkout reconnects, and the query that needed it fails as a storage fault.
  pool.on('error', (err) => process.emitWarning(`PostgreSQL pool: idle connection lost (${err.message})`));
  return pool;
}

/** SQLSTATE connection_failure: what a socket-level failure of the pool is reported as. */
const CONNECTION_FAILURE = '08006';

/**
 * Socket-level failures (server down, connection reset, pool checkout timeout) carry errno
 * codes or none; re-code them as SQLSTATE 08006 so that they read as storage faults
 * (../faults.ts) without every ECONNREFUSED in the process (an LLM provider's) doing so.
 */
export function asPgError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('E')) return err; // already a SQLSTATE
  const socketLevel =
    (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN'].includes(code)) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(err.message);
  if (!socketLevel) return err;
  return Object.assign(new Error(`PostgreSQL connection failed: ${err.message}`, { cause: err }), { code: CONNECTION_FAILURE });
}
