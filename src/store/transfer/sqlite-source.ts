// Reading a SQLite data dir for `abstractgateway migrate` (issue 10): the file is opened
// read-only and every table is walked in its insertion order, in batches, so that a copy keeps
// the order the stores break ties by (run_key, command seq, artifact rowid).

import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import type { ArtifactRow } from '../artifact-rows.js';
import { MIGRATIONS } from '../sqlite/migrations.js';

/** A run's row as both schemas hold it (lease columns aside: a copied run starts unleased). */
export interface RunRow {
  run_key: number;
  runtime_id: string;
  run_id: string;
  workflow_id: string;
  status: string;
  wait_reason: string | null;
  wait_key: string | null;
  wait_until_ms: number | null;
  paused: number;
  parent_run_id: string | null;
  session_id: string | null;
  created_at: string;
  updated_at: string;
  updated_at_ms: number;
  run_json: string;
  version: number;
  lease_epoch: number;
  runnable_at_ms: number | null;
}

export interface LedgerRow {
  run_key: number;
  seq: number;
  status: string;
  idempotency_key: string | null;
  wait_key: string | null;
  record_json: string;
}

export interface CommandRow {
  seq: number;
  runtime_id: string;
  command_id: string;
  run_id: string;
  type: string;
  payload_json: string;
  ts: string;
  client_id: string | null;
  state: string;
  reason: string | null;
  applied_at: string | null;
}

export type SourceArtifactRow = ArtifactRow & { rowid: number; runtime_id: string };

export interface SourceCounts {
  runs: number;
  ledger: number;
  commands: number;
  artifacts: number;
}

/** `path` is a data dir (holding gateway.sqlite3) or the database file itself (blobs beside it). */
export class SqliteSource {
  readonly dbFile: string;
  private readonly blobsDir: string;
  private readonly db: Database.Database;

  constructor(path: string) {
    const isDir = existsSync(path) && statSync(path).isDirectory();
    this.dbFile = isDir ? join(path, 'gateway.sqlite3') : path;
    if (!existsSync(this.dbFile)) throw new Error(`no SQLite database at ${this.dbFile}`);
    this.blobsDir = join(dirname(this.dbFile), 'artifacts', 'blobs');
    this.db = new Database(this.dbFile, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 5000');
    const version = this.db.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as number | null;
    const current = MIGRATIONS.at(-1)!.version;
    // Users and sessions (hosted mode) are not copied yet: only the run data is.
    if (version !== current) throw new Error(`${this.dbFile}: schema version ${version ?? 'none'}, this build migrates version ${current} (open it once with this build's gateway first)`);
  }

  counts(): SourceCounts {
    const count = (table: string) => this.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    return { runs: count('runs'), ledger: count('ledger_records'), commands: count('commands'), artifacts: count('artifacts') };
  }

  /** Runs after `afterKey`, in run_key order. */
  runs(afterKey: number, limit: number): RunRow[] {
    return this.db
      .prepare(
        `SELECT run_key, runtime_id, run_id, workflow_id, status, wait_reason, wait_key, wait_until_ms, paused, parent_run_id, session_id,
                created_at, updated_at, updated_at_ms, run_json, version, lease_epoch, runnable_at_ms
         FROM runs WHERE run_key > ? ORDER BY run_key LIMIT ?`,
      )
      .all(afterKey, limit) as RunRow[];
  }

  ledger(runKey: number): LedgerRow[] {
    return this.db.prepare('SELECT run_key, seq, status, idempotency_key, wait_key, record_json FROM ledger_records WHERE run_key = ? ORDER BY seq').all(runKey) as LedgerRow[];
  }

  commands(afterSeq: number, limit: number): CommandRow[] {
    return this.db
      .prepare('SELECT seq, runtime_id, command_id, run_id, type, payload_json, ts, client_id, state, reason, applied_at FROM commands WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(afterSeq, limit) as CommandRow[];
  }

  artifacts(afterRowid: number, limit: number): SourceArtifactRow[] {
    return this.db
      .prepare(
        `SELECT rowid, runtime_id, artifact_id, blob_id, content_type, size_bytes, created_at, run_id, tags_json, metadata_json
         FROM artifacts WHERE rowid > ? ORDER BY rowid LIMIT ?`,
      )
      .all(afterRowid, limit) as SourceArtifactRow[];
  }

  /** The bytes of a blob (artifacts/blobs/<sha256>.bin beside the database). */
  async blob(blobId: string): Promise<Buffer> {
    const file = join(this.blobsDir, `${blobId}.bin`);
    try {
      return await readFile(file);
    } catch (err) {
      throw new Error(`artifact blob ${blobId} is missing from ${this.blobsDir} (${(err as Error).message})`);
    }
  }

  close(): void {
    this.db.close();
  }
}
