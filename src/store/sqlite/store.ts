// SqliteStore: the embedded Store backend (better-sqlite3, WAL).
// Two connections: all writes go through the group committer on the writer; reads outside a
// transaction use the reader, which only ever sees committed data.

import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

import type { CommandRecord } from '../../model/command.js';
import type {
  ArtifactStore,
  Claim,
  Fence,
  LedgerJsonPage,
  LedgerPage,
  NewCommand,
  RunListQuery,
  RunStamp,
  RuntimeStore,
  Store,
  StoredRun,
  StoreTx,
  SubmitResult,
  UsersStore,
} from '../types.js';
import { purgeScope, SqliteUsersStore } from './users.js';
import { SqliteArtifactStore } from './artifacts.js';
import { Checkpointer } from './checkpointer.js';
import * as commands from './commands.js';
import { Conn, openDb } from './connection.js';
import { GroupCommitter } from './group-commit.js';
import { LocalNotifier, type Notifier } from '../notifier.js';
import { systemClock, type Clock } from '../../model/time.js';
import * as leases from './leases.js';
import * as ledger from './ledger.js';
import { migrate } from './migrations.js';
import * as runs from './runs.js';
import { SqliteTx } from './tx.js';
import { probeWrites } from './write-probe.js';
import { WriteHealth, type StoreHealth } from '../write-health.js';
import { reportToStderr } from '../../model/fault-streak.js';

export interface SqliteStoreOptions {
  dataDir: string;
  /** Defaults to <dataDir>/gateway.sqlite3; must lie inside dataDir. */
  dbPath?: string;
  /** Receives post-commit hints (default: a new in-process notifier). */
  notifier?: Notifier;
  /** Default: the system clock. */
  clock?: Clock;
  /** Cap on the database file (bytes, rounded down to whole pages; never below its current size). */
  maxBytes?: number;
  /** Where failure streaks of store writes are reported (default: stderr). */
  report?: (message: string) => void;
}

/** What every runtime scope shares. */
export interface Backend {
  reader: Conn;
  writer: Conn;
  committer: GroupCommitter;
  blobsDir: string;
  clock: Clock;
}

export function openSqliteStore(opts: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(opts);
}

export class SqliteStore implements Store {
  readonly dbPath: string;
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly users: UsersStore;
  private readonly backend: Backend;
  private readonly checkpointer: Checkpointer;
  private readonly health: WriteHealth;

  constructor(opts: SqliteStoreOptions) {
    this.notifier = opts.notifier ?? new LocalNotifier();
    this.clock = opts.clock ?? systemClock;
    const dataDir = resolve(opts.dataDir);
    this.dbPath = resolve(opts.dbPath ?? join(dataDir, 'gateway.sqlite3'));
    const rel = relative(dataDir, this.dbPath);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new Error(`ABSTRACTGATEWAY_DB_PATH must point to a file under ABSTRACTGATEWAY_DATA_DIR (db: ${this.dbPath}, data dir: ${dataDir})`);
    }
    mkdirSync(dirname(this.dbPath), { recursive: true });
    const blobsDir = join(dataDir, 'artifacts', 'blobs');
    mkdirSync(blobsDir, { recursive: true });

    const writeDb = openDb(this.dbPath);
    try {
      migrate(writeDb);
    } catch (err) {
      writeDb.close();
      throw err;
    }
    this.checkpointer = new Checkpointer(writeDb, this.dbPath);
    const readDb = openDb(this.dbPath);
    readDb.pragma('query_only = ON');
    const writer = new Conn(writeDb);
    this.health = new WriteHealth(opts.report ?? reportToStderr, () => this.backend.committer.submitAlone(probeWrites));
    this.backend = {
      reader: new Conn(readDb),
      writer,
      committer: new GroupCommitter(writer, (hints) => this.notifier.publish(hints), this.health),
      blobsDir,
      clock: this.clock,
    };
    this.users = new SqliteUsersStore(this.backend);
    if (opts.maxBytes !== undefined) this.limitSize(opts.maxBytes);
  }

  purgeScope(runtimeId: string): Promise<void> {
    return this.backend.committer.submit(() => purgeScope(this.backend.writer, runtimeId));
  }

  /**
   * Cap the database file at `maxBytes` (null: no cap). Writes that would grow it further fail
   * as a full disk would (SQLITE_FULL → 503), so an operator can keep the gateway from filling
   * the disk it shares. SQLite never sets the cap below the current size.
   */
  limitSize(maxBytes: number | null): void {
    const db = this.backend.writer.db;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const pages = maxBytes === null ? 0xfffffffe : Math.max(1, Math.floor(maxBytes / pageSize));
    db.pragma(`max_page_count = ${pages}`);
  }

  writeHealth(): Promise<StoreHealth> {
    return this.health.check();
  }

  scope(runtimeId: string): RuntimeStore {
    if (typeof runtimeId !== 'string' || runtimeId === '') throw new Error('runtimeId must be a non-empty string');
    return new SqliteRuntimeStore(runtimeId, this.backend);
  }

  async close(): Promise<void> {
    await this.backend.committer.close();
    await this.checkpointer.stop();
    this.backend.reader.db.close();
    this.backend.writer.db.close();
  }
}

class SqliteRuntimeStore implements RuntimeStore {
  readonly artifacts: ArtifactStore;

  constructor(
    readonly runtimeId: string,
    private readonly b: Backend,
  ) {
    this.artifacts = new SqliteArtifactStore(runtimeId, b);
  }

  tx<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.b.committer.submit((job) => fn(new SqliteTx(this.b.writer, this.runtimeId, job, this.b.clock)));
  }

  async getRun(runId: string): Promise<StoredRun | null> {
    return runs.getRun(this.b.reader, this.runtimeId, runId);
  }

  async getRunStamp(runId: string): Promise<RunStamp | null> {
    return runs.getRunStamp(this.b.reader, this.runtimeId, runId);
  }

  async listRuns(q: RunListQuery): Promise<StoredRun[]> {
    return runs.listRuns(this.b.reader, this.runtimeId, q);
  }

  async readLedger(runId: string, after: number, limit: number): Promise<LedgerPage> {
    return ledger.readLedger(this.b.reader, this.runtimeId, runId, after, limit);
  }

  async readLedgerJson(runId: string, after: number, limit: number): Promise<LedgerJsonPage> {
    return ledger.readLedgerJson(this.b.reader, this.runtimeId, runId, after, limit);
  }

  submitCommand(c: NewCommand): Promise<SubmitResult> {
    return this.b.committer.submit((job) => {
      const res = commands.submitCommand(this.b.writer, this.runtimeId, c);
      if (res.accepted) job.signals.push({ kind: 'command', runtimeId: this.runtimeId });
      return res;
    });
  }

  async getCommand(commandId: string): Promise<CommandRecord | null> {
    return commands.getCommand(this.b.reader, this.runtimeId, commandId);
  }

  async pendingCommands(limit: number): Promise<CommandRecord[]> {
    return commands.pendingCommands(this.b.reader, this.runtimeId, limit);
  }

  claimRunnable(owner: string, leaseMs: number, limit: number, nowMs: number): Promise<Claim[]> {
    return this.b.committer.submit(() => leases.claimRunnable(this.b.writer, this.runtimeId, owner, leaseMs, limit, nowMs));
  }

  renewLease(runId: string, fence: Fence, leaseMs: number, nowMs: number): Promise<boolean> {
    return this.b.committer.submit(() => leases.renewLease(this.b.writer, this.runtimeId, runId, fence, leaseMs, nowMs));
  }

  releaseLease(runId: string, fence: Fence): Promise<void> {
    return this.b.committer.submit((job) => {
      if (leases.releaseLease(this.b.writer, this.runtimeId, runId, fence)) job.signals.push({ kind: 'runnable', runtimeId: this.runtimeId });
    });
  }

  async nextWakeAt(): Promise<number | null> {
    return leases.nextWakeAt(this.b.reader, this.runtimeId);
  }
}
