// Storage faults: the data store (SQLite file or PostgreSQL server, blobs, workspaces, bundle files) cannot be
// written or read — a full disk or quota, a read-only file or mount, an I/O error. They are the
// server's condition, never the client's mistake: every layer answers them as 503 with a
// detail that says what is wrong (without the server's paths), instead of a 400 or a 500.

import { GatewayError } from '../errors.js';

type Kind = 'full' | 'read-only' | 'io' | 'busy';

const SQLITE_KIND: Record<string, Kind> = {
  SQLITE_FULL: 'full',
  SQLITE_READONLY: 'read-only',
  SQLITE_IOERR: 'io',
  SQLITE_CANTOPEN: 'io',
  SQLITE_CORRUPT: 'io',
  SQLITE_NOTADB: 'io',
  SQLITE_NOMEM: 'io',
  SQLITE_BUSY: 'busy',
  SQLITE_LOCKED: 'busy',
};

const ERRNO_KIND: Record<string, Kind> = {
  ENOSPC: 'full',
  EDQUOT: 'full',
  EFBIG: 'full',
  EROFS: 'read-only',
  EACCES: 'read-only',
  EPERM: 'read-only',
  EIO: 'io',
  EMFILE: 'io',
  ENFILE: 'io',
};

// PostgreSQL SQLSTATEs (5 characters, never starting with 'E' like an errno name), by the
// exact code first, then by class. Connection failures are re-coded 08006 by the pg store.
const SQLSTATE_KIND: Record<string, Kind> = {
  '53100': 'full', // disk_full
  '25006': 'read-only', // read_only_sql_transaction (a hot standby, default_transaction_read_only)
  '40P01': 'busy', // deadlock_detected: one of the two transactions is rolled back; retrying succeeds
  '40001': 'busy', // serialization_failure
  '55P03': 'busy', // lock_not_available
};
const SQLSTATE_CLASS_KIND: Record<string, Kind> = {
  '08': 'io', // connection exception
  '53': 'io', // insufficient resources (memory, connections)
  '57': 'io', // operator intervention (shutdown, cannot connect now)
  '58': 'io', // system error (I/O)
};
const SQLSTATE = /^[0-9A-DF-Z][0-9A-Z]{4}$/;

const DETAIL: Record<Kind, string> = {
  full: 'Storage full: the gateway cannot write to its data store (disk or size limit reached); the request was not applied',
  'read-only': 'Storage read-only: the gateway cannot write to its data directory; the request was not applied',
  io: 'Storage I/O error: the gateway could not access its data store; the request was not applied',
  busy: 'Storage busy: the data store is locked by another process; the request was not applied',
};

function kindOf(err: unknown): Kind | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  // Extended SQLite codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED…) share their primary's kind.
  const primary = code.startsWith('SQLITE_') ? code.split('_', 2).join('_') : code;
  if (SQLSTATE.test(code)) return SQLSTATE_KIND[code] ?? SQLSTATE_CLASS_KIND[code.slice(0, 2)];
  return SQLITE_KIND[primary] ?? ERRNO_KIND[code];
}

/** Whether `err` (or the error it wraps) is a storage fault, raw or already mapped. */
export function isStorageFault(err: unknown): boolean {
  if (err instanceof GatewayError) return err.code === 'GW_ERR_UNAVAILABLE' && kindOf(err.cause) !== undefined;
  return kindOf(err) !== undefined;
}

/** The 503 for a storage fault, or undefined when `err` is something else. Idempotent. */
export function storageFault(err: unknown): GatewayError | undefined {
  if (err instanceof GatewayError) return isStorageFault(err) ? err : undefined;
  const kind = kindOf(err);
  if (kind === undefined) return undefined;
  return new GatewayError('GW_ERR_UNAVAILABLE', DETAIL[kind], { headers: { 'Retry-After': '5' }, cause: err });
}

/** `err` mapped to its 503 when it is a storage fault, else unchanged (for rejections). */
export const asStorageFault = (err: unknown): unknown => storageFault(err) ?? err;

/** A one-line reason for logs: the error code and syscall, never a file path. */
export function faultReason(err: unknown): string {
  const e = err instanceof GatewayError && err.cause !== undefined ? err.cause : err;
  const { code, syscall } = (e ?? {}) as { code?: string; syscall?: string };
  if (typeof code === 'string' && (code.startsWith('SQLITE_') || SQLSTATE.test(code))) return `${code}: ${(e as Error).message}`;
  if (typeof code === 'string') return syscall ? `${code} (${syscall})` : code;
  return e instanceof Error ? e.message : String(e);
}
