// PostgresStore: the scale-out Store backend. Many API nodes and runners share one database:
// runs are claimed with FOR UPDATE SKIP LOCKED leases fenced by epoch, every StoreTx is one
// PostgreSQL transaction on a pooled connection, and hints cross processes on the notifier
// (LISTEN/NOTIFY, ./listen-notifier.ts), which the composition root hands in.
//
// No group commit of our own: concurrent transactions run on separate pooled connections, each
// commit its own round trip. Measured (bench/README.md, "PostgreSQL and scale-out"): ~2,000
// commits/s on the 2-core bench box whether a commit carries 1 or 10 ledger records, so batching
// concurrent transactions into one (as the SQLite store does) is the lever if append throughput
// ever matters more than isolating one run's failed write from the others'.

import type { CommandRecord } from '../../model/command.js';
import { reportToStderr } from '../../model/fault-streak.js';
import { systemClock, type Clock } from '../../model/time.js';
import { LocalNotifier, type Notifier } from '../notifier.js';
import type {
  ArtifactStore,
  Claim,
  Fence,
  LedgerJsonPage,
  LedgerPage,
  NewCommand,
  RunListQuery,
  RunStamp,
  UsersStore,
  RuntimeStore,
  Store,
  StoredRun,
  StoreTx,
  SubmitResult,
} from '../types.js';
import { WriteHealth, type StoreHealth } from '../write-health.js';
import { PgArtifactStore } from './artifacts.js';
import { PgUsersStore, purgeScope } from './users.js';
import { read, sql, transaction, write, type PgBackend } from './backend.js';
import * as commands from './commands.js';
import * as leases from './leases.js';
import * as ledger from './ledger.js';
import { migrate } from './migrations.js';
import { openPool } from './pool.js';
import * as runs from './runs.js';
import { PgTx } from './tx.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Pooled connections at most (default 10). */
  poolSize?: number;
  /** Receives post-commit hints (default: a new in-process notifier). */
  notifier?: Notifier;
  /** Default: the system clock. */
  clock?: Clock;
  /** Largest artifact accepted, in bytes (default 64 MiB). */
  artifactMaxBytes?: number;
  /** Where failure streaks of store writes are reported (default: stderr). */
  report?: (message: string) => void;
}

export const DEFAULT_ARTIFACT_MAX_BYTES = 64 * 1024 * 1024;

/** Connects, migrates (under an advisory lock) and returns the store. */
export async function openPostgresStore(o: PostgresStoreOptions): Promise<PostgresStore> {
  const pool = openPool({ url: o.url, max: o.poolSize });
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return new PostgresStore(o, pool);
}

export class PostgresStore implements Store {
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly users: UsersStore;
  private readonly backend: PgBackend;

  constructor(o: PostgresStoreOptions, pool: PgBackend['pool']) {
    this.notifier = o.notifier ?? new LocalNotifier();
    this.clock = o.clock ?? systemClock;
    // The probe rewrites one row: a commit that reaches the server's disk (or fails as real writes would).
    const health = new WriteHealth(o.report ?? reportToStderr, () =>
      write(this.backend, (c) => sql(c, 'INSERT INTO write_probe VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET probed_at = now()')).then(() => undefined),
    );
    this.backend = {
      pool,
      clock: this.clock,
      health,
      publish: (hints) => this.notifier.publish(hints),
      artifactMaxBytes: o.artifactMaxBytes ?? DEFAULT_ARTIFACT_MAX_BYTES,
    };
    this.users = new PgUsersStore(this.backend);
  }

  purgeScope(runtimeId: string): Promise<void> {
    return purgeScope(this.backend, runtimeId);
  }

  writeHealth(): Promise<StoreHealth> {
    return this.backend.health.check();
  }

  scope(runtimeId: string): RuntimeStore {
    if (typeof runtimeId !== 'string' || runtimeId === '') throw new Error('runtimeId must be a non-empty string');
    return new PgRuntimeStore(runtimeId, this.backend);
  }

  /** Waits for the queries in flight, then closes every connection (resolves once each has ended). */
  async close(): Promise<void> {
    const pool = this.backend.pool;
    let open = pool.totalCount; // pool.end() resolves before its clients' sockets have closed
    const ended = new Promise<void>((resolve) => {
      if (open === 0) resolve();
      pool.on('remove', () => --open <= 0 && resolve());
    });
    await pool.end();
    await ended;
  }
}

class PgRuntimeStore implements RuntimeStore {
  readonly artifacts: ArtifactStore;

  constructor(
    readonly runtimeId: string,
    private readonly b: PgBackend,
  ) {
    this.artifacts = new PgArtifactStore(runtimeId, b);
  }

  tx<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return transaction(this.b, (ctx) => fn(new PgTx(ctx, this.runtimeId, this.b.clock)));
  }

  getRun(runId: string): Promise<StoredRun | null> {
    return read(this.b, (c) => runs.getRun(c, this.runtimeId, runId));
  }

  getRunStamp(runId: string): Promise<RunStamp | null> {
    return read(this.b, (c) => runs.getRunStamp(c, this.runtimeId, runId));
  }

  listRuns(q: RunListQuery): Promise<StoredRun[]> {
    return read(this.b, (c) => runs.listRuns(c, this.runtimeId, q));
  }

  async readLedger(runId: string, after: number, limit: number): Promise<LedgerPage> {
    const page = await this.readLedgerJson(runId, after, limit);
    return { items: page.json.map((j) => JSON.parse(j)), next_after: page.next_after };
  }

  readLedgerJson(runId: string, after: number, limit: number): Promise<LedgerJsonPage> {
    return read(this.b, (c) => ledger.readLedgerJson(c, this.runtimeId, runId, after, limit));
  }

  submitCommand(cmd: NewCommand): Promise<SubmitResult> {
    return write(this.b, async (c, hints) => {
      const res = await commands.submitCommand(c, this.runtimeId, cmd);
      if (res.accepted) hints.push({ kind: 'command', runtimeId: this.runtimeId });
      return res;
    });
  }

  getCommand(commandId: string): Promise<CommandRecord | null> {
    return read(this.b, (c) => commands.getCommand(c, this.runtimeId, commandId));
  }

  pendingCommands(limit: number): Promise<CommandRecord[]> {
    return read(this.b, (c) => commands.pendingCommands(c, this.runtimeId, limit));
  }

  claimRunnable(owner: string, leaseMs: number, limit: number, nowMs: number): Promise<Claim[]> {
    return write(this.b, (c) => leases.claimRunnable(c, this.runtimeId, owner, leaseMs, limit, nowMs));
  }

  renewLease(runId: string, fence: Fence, leaseMs: number, nowMs: number): Promise<boolean> {
    return write(this.b, (c) => leases.renewLease(c, this.runtimeId, runId, fence, leaseMs, nowMs));
  }

  releaseLease(runId: string, fence: Fence): Promise<void> {
    return write(this.b, async (c, hints) => {
      if (await leases.releaseLease(c, this.runtimeId, runId, fence)) hints.push({ kind: 'runnable', runtimeId: this.runtimeId });
    });
  }

  nextWakeAt(): Promise<number | null> {
    return read(this.b, (c) => leases.nextWakeAt(c, this.runtimeId));
  }
}
