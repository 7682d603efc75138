// Versioned schema. Append new steps at the end; never edit a step that has shipped.
// Every query is scoped to a runtime_id (see ../types.ts): tables carry it, except
// ledger_records, which is only ever reached through its run's row.

import type { Db } from './connection.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, ledger, commands, artifacts',
    sql: `
      CREATE TABLE runs (
        runtime_id       TEXT NOT NULL,
        run_id           TEXT NOT NULL,
        workflow_id      TEXT NOT NULL,
        status           TEXT NOT NULL,
        wait_reason      TEXT,
        wait_key         TEXT,
        wait_until_ms    INTEGER,
        paused           INTEGER NOT NULL,
        parent_run_id    TEXT,
        session_id       TEXT,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        updated_at_ms    INTEGER NOT NULL,  -- parsed updated_at: ordering must not depend on ISO spelling
        run_json         TEXT NOT NULL,
        version          INTEGER NOT NULL,
        ledger_len       INTEGER NOT NULL,
        lease_owner      TEXT,
        lease_expires_ms INTEGER,           -- NULL exactly when lease_owner is NULL
        lease_epoch      INTEGER NOT NULL,
        runnable_at_ms   INTEGER,           -- 0 = runnable now, >0 = timer, NULL = not runnable
        PRIMARY KEY (runtime_id, run_id)
      );
      -- Claiming scans this in runnable_at order; lease_expires_ms makes the lease test index-only.
      CREATE INDEX runs_claim ON runs (runtime_id, runnable_at_ms, lease_expires_ms) WHERE runnable_at_ms IS NOT NULL;
      CREATE INDEX runs_updated ON runs (runtime_id, updated_at_ms);
      CREATE INDEX runs_status ON runs (runtime_id, status, updated_at_ms);
      CREATE INDEX runs_workflow ON runs (runtime_id, workflow_id, updated_at_ms);
      CREATE INDEX runs_session ON runs (runtime_id, session_id, updated_at_ms) WHERE session_id IS NOT NULL;
      CREATE INDEX runs_parent ON runs (runtime_id, parent_run_id, updated_at_ms) WHERE parent_run_id IS NOT NULL;
      CREATE INDEX runs_waiting ON runs (runtime_id, wait_reason, wait_key) WHERE status = 'waiting';

      CREATE TABLE ledger (
        runtime_id      TEXT NOT NULL,
        run_id          TEXT NOT NULL,
        seq             INTEGER NOT NULL,   -- 1..ledger_len, contiguous per run
        status          TEXT NOT NULL,
        idempotency_key TEXT,
        wait_key        TEXT,               -- result.wait.wait_key of 'waiting' records
        record_json     TEXT NOT NULL,
        PRIMARY KEY (runtime_id, run_id, seq)
      );
      -- Only completed records are ever looked up by key: indexing just those halves the index writes.
      -- seq is in the key so the planner need not fall back to scanning the run by seq.
      CREATE INDEX ledger_completed_key ON ledger (runtime_id, run_id, idempotency_key, seq)
        WHERE idempotency_key IS NOT NULL AND status = 'completed';
      CREATE INDEX ledger_wait_key ON ledger (runtime_id, run_id, wait_key, seq) WHERE wait_key IS NOT NULL;

      CREATE TABLE commands (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        runtime_id   TEXT NOT NULL,
        command_id   TEXT NOT NULL,
        run_id       TEXT NOT NULL,
        type         TEXT NOT NULL,
        payload_json TEXT NOT NULL,         -- canonical JSON, compared on duplicate submits
        ts           TEXT NOT NULL,
        client_id    TEXT,
        state        TEXT NOT NULL DEFAULT 'pending',
        reason       TEXT,
        applied_at   TEXT,
        UNIQUE (runtime_id, command_id)
      );
      CREATE INDEX commands_pending ON commands (runtime_id, seq) WHERE state = 'pending';

      CREATE TABLE artifacts (
        runtime_id    TEXT NOT NULL,
        artifact_id   TEXT NOT NULL,
        blob_id       TEXT NOT NULL,
        content_type  TEXT NOT NULL,
        size_bytes    INTEGER NOT NULL,
        created_at    TEXT NOT NULL,
        run_id        TEXT,
        tags_json     TEXT NOT NULL,
        metadata_json TEXT NOT NULL,
        PRIMARY KEY (runtime_id, artifact_id)
      );
      CREATE INDEX artifacts_run ON artifacts (runtime_id, run_id) WHERE run_id IS NOT NULL;
    `,
  },
  {
    // An append used to rewrite the whole runs row (ledger_len) and insert into two B-trees keyed
    // by long text. Now runs have a stable integer run_key (the rowid, so the same layout as
    // before) and the ledger is keyed by (run_key, seq): records are appended at the end of the
    // table and the head of a run is MAX(seq) in the small key index. ledger_records is only
    // ever reached through its run's row, which is filtered on runtime_id.
    // A run's records must be deleted with it: its run_key can be reused.
    version: 2,
    name: 'ledger keyed by integer run_key; ledger head derived from the ledger',
    sql: `
      CREATE TABLE runs_v2 (
        run_key          INTEGER PRIMARY KEY,
        runtime_id       TEXT NOT NULL,
        run_id           TEXT NOT NULL,
        workflow_id      TEXT NOT NULL,
        status           TEXT NOT NULL,
        wait_reason      TEXT,
        wait_key         TEXT,
        wait_until_ms    INTEGER,
        paused           INTEGER NOT NULL,
        parent_run_id    TEXT,
        session_id       TEXT,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        updated_at_ms    INTEGER NOT NULL,
        run_json         TEXT NOT NULL,
        version          INTEGER NOT NULL,
        lease_owner      TEXT,
        lease_expires_ms INTEGER,
        lease_epoch      INTEGER NOT NULL,
        runnable_at_ms   INTEGER,
        UNIQUE (runtime_id, run_id)
      );
      -- Keeping the rowid keeps insertion order (ORDER BY rowid).
      INSERT INTO runs_v2 (run_key, runtime_id, run_id, workflow_id, status, wait_reason, wait_key, wait_until_ms, paused,
        parent_run_id, session_id, created_at, updated_at, updated_at_ms, run_json, version, lease_owner, lease_expires_ms,
        lease_epoch, runnable_at_ms)
      SELECT rowid, runtime_id, run_id, workflow_id, status, wait_reason, wait_key, wait_until_ms, paused,
        parent_run_id, session_id, created_at, updated_at, updated_at_ms, run_json, version, lease_owner, lease_expires_ms,
        lease_epoch, runnable_at_ms
      FROM runs;

      CREATE TABLE ledger_records (
        run_key         INTEGER NOT NULL,
        seq             INTEGER NOT NULL,   -- 1..N, contiguous per run
        status          TEXT NOT NULL,
        idempotency_key TEXT,
        wait_key        TEXT,               -- result.wait.wait_key of 'waiting' records
        record_json     TEXT NOT NULL,
        PRIMARY KEY (run_key, seq)
      );
      INSERT INTO ledger_records (run_key, seq, status, idempotency_key, wait_key, record_json)
      SELECT r.run_key, l.seq, l.status, l.idempotency_key, l.wait_key, l.record_json
      FROM ledger l JOIN runs_v2 r ON r.runtime_id = l.runtime_id AND r.run_id = l.run_id
      ORDER BY l.rowid;

      DROP TABLE ledger;
      DROP TABLE runs;
      ALTER TABLE runs_v2 RENAME TO runs;

      CREATE INDEX runs_claim ON runs (runtime_id, runnable_at_ms, lease_expires_ms) WHERE runnable_at_ms IS NOT NULL;
      CREATE INDEX runs_updated ON runs (runtime_id, updated_at_ms);
      CREATE INDEX runs_status ON runs (runtime_id, status, updated_at_ms);
      CREATE INDEX runs_workflow ON runs (runtime_id, workflow_id, updated_at_ms);
      CREATE INDEX runs_session ON runs (runtime_id, session_id, updated_at_ms) WHERE session_id IS NOT NULL;
      CREATE INDEX runs_parent ON runs (runtime_id, parent_run_id, updated_at_ms) WHERE parent_run_id IS NOT NULL;
      CREATE INDEX runs_waiting ON runs (runtime_id, wait_reason, wait_key) WHERE status = 'waiting';

      CREATE INDEX ledger_completed_key ON ledger_records (run_key, idempotency_key, seq)
        WHERE idempotency_key IS NOT NULL AND status = 'completed';
      CREATE INDEX ledger_wait_key ON ledger_records (run_key, wait_key, seq) WHERE wait_key IS NOT NULL;

      -- The ledger as it reads, for people and tools inspecting the file (the store does not use it).
      CREATE VIEW ledger AS
        SELECT r.runtime_id, r.run_id, l.seq, l.status, l.idempotency_key, l.wait_key, l.record_json
        FROM ledger_records l JOIN runs r USING (run_key);
    `,
  },
  {
    // Hosted mode (spec security §3–§4): the users registry, runtime reservations and browser
    // sessions live in the store, so several API nodes share them and a token is found through
    // one index probe. Runtime ids are unique per tenant ignoring case (spec §8 W12).
    version: 3,
    name: 'users, runtime reservations, browser sessions',
    sql: `
      CREATE TABLE users (
        tenant_id   TEXT NOT NULL,
        user_id     TEXT NOT NULL,
        email       TEXT NOT NULL,
        roles_json  TEXT NOT NULL,
        scopes_json TEXT NOT NULL,
        enabled     INTEGER NOT NULL,
        runtime_id  TEXT NOT NULL,
        token_hash  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (tenant_id, user_id)
      );
      CREATE UNIQUE INDEX users_token ON users (token_hash);
      CREATE UNIQUE INDEX users_runtime ON users (tenant_id, runtime_id COLLATE NOCASE);

      CREATE TABLE runtime_reservations (
        tenant_id     TEXT NOT NULL,
        runtime_id    TEXT NOT NULL COLLATE NOCASE,
        owner_key     TEXT NOT NULL,
        owner_user_id TEXT NOT NULL,
        reason        TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (tenant_id, runtime_id)
      );

      CREATE TABLE browser_sessions (
        session_hash           TEXT PRIMARY KEY,   -- sha256 of the session id; the id itself is never stored
        tenant_id              TEXT NOT NULL,
        user_id                TEXT NOT NULL,
        csrf_hash              TEXT NOT NULL,
        credential_fingerprint TEXT NOT NULL,
        token_fingerprint      TEXT NOT NULL,
        remember               INTEGER NOT NULL,
        created_at             TEXT NOT NULL,
        expires_at_ms          INTEGER NOT NULL,
        last_seen_ms           INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX browser_sessions_user ON browser_sessions (tenant_id, user_id, last_seen_ms);
      CREATE INDEX browser_sessions_expiry ON browser_sessions (expires_at_ms);
    `,
  },
];

/**
 * Bring the schema up to date. One IMMEDIATE transaction: a second process opening the
 * same file concurrently waits (busy_timeout), then finds the steps applied.
 */
export function migrate(db: Db): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
    const known = new Set(MIGRATIONS.map((m) => m.version));
    const unknown = [...applied].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      throw new Error(`Database schema has migrations this build does not know (${unknown.join(', ')}): refusing to open it`);
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    }
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
