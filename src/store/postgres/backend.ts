// What every runtime scope of a PostgreSQL store shares, and the three ways it talks to the
// server: a read (any pooled connection), a write (one autocommit statement) and a transaction
// (BEGIN … COMMIT on one checked-out connection). Errors are mapped here, once: socket-level
// failures become SQLSTATE 08006 and storage faults their 503 (../faults.ts); every write's
// outcome goes to WriteHealth; hints are published only after COMMIT.

import type pg from 'pg';

import type { Clock } from '../../model/time.js';
import { asStorageFault } from '../faults.js';
import type { Hint } from '../notifier.js';
import type { WriteHealth } from '../write-health.js';
import { asPgError } from './pool.js';

/** pg.Pool and pg.PoolClient alike. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

export interface PgBackend {
  pool: pg.Pool;
  clock: Clock;
  health: WriteHealth;
  publish(hints: Hint[]): void;
  /** Largest artifact accepted (bytes). */
  artifactMaxBytes: number;
}

// Every statement is prepared once per connection under a stable name: the server then skips
// parsing and planning (PgBouncer in transaction mode before 1.21 cannot carry these; see
// docs/deployment.md).
const names = new Map<string, string>();

/** Run one statement (prepared by name) on `c`. */
export async function sql<R extends pg.QueryResultRow>(c: Queryable, text: string, values: unknown[] = []): Promise<R[]> {
  let name = names.get(text);
  if (name === undefined) names.set(text, (name = `agw_${names.size + 1}`));
  return (await c.query<R>({ name, text, values })).rows;
}

/** A read outside any transaction (sees only committed data). */
export async function read<T>(b: PgBackend, fn: (c: Queryable) => Promise<T>): Promise<T> {
  try {
    return await fn(b.pool);
  } catch (err) {
    throw asStorageFault(asPgError(err));
  }
}

/** One autocommit write; `hints` are published once it has committed. */
export async function write<T>(b: PgBackend, fn: (c: Queryable, hints: Hint[]) => Promise<T>): Promise<T> {
  const hints: Hint[] = [];
  let value: T;
  try {
    value = await fn(b.pool, hints);
  } catch (err) {
    throw failed(b, err);
  }
  b.health.committed();
  if (hints.length > 0) b.publish(hints);
  return value;
}

/** What a transaction's work sees of itself. */
export interface TxContext {
  c: Queryable;
  hints: Hint[];
  /** False once the transaction has finished: late calls must fail. */
  open: boolean;
}

/**
 * Run `work` in one transaction (READ COMMITTED: row locks, taken by the statements that need
 * them, serialise writers of the same run). If `work` throws, nothing is written.
 */
export async function transaction<T>(b: PgBackend, work: (tx: TxContext) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await b.pool.connect();
  } catch (err) {
    throw failed(b, err);
  }
  const ctx: TxContext = { c: oneAtATime(client), hints: [], open: true };
  let value: T;
  try {
    await client.query('BEGIN');
    value = await work(ctx);
    ctx.open = false;
    await client.query('COMMIT');
  } catch (err) {
    ctx.open = false;
    const e = asPgError(err);
    let broken = e !== err; // a connection that failed at the socket level is not reused
    if (!broken) broken = !(await client.query('ROLLBACK').then(() => true, () => false));
    client.release(broken);
    throw failed(b, e);
  }
  client.release();
  b.health.committed();
  if (ctx.hints.length > 0) b.publish(ctx.hints);
  return value;
}

/**
 * The transaction's connection, running its statements in call order one after the other: a
 * StoreTx callback may start several (Promise.all), and a pg connection takes one at a time.
 */
function oneAtATime(client: pg.PoolClient): Queryable {
  let last: Promise<unknown> = Promise.resolve();
  return {
    query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>> {
      const next = last.then(() => client.query<R>(config));
      last = next.catch(() => undefined);
      return next;
    },
  };
}

function failed(b: PgBackend, err: unknown): unknown {
  const e = asStorageFault(asPgError(err));
  b.health.failed(e);
  return e;
}
