// Versioned PostgreSQL schema. Append new steps at the end; never edit a step that has shipped.
// Every process opening the database migrates it under one advisory lock, so N API nodes and
// runners starting at once apply each step exactly once.
//
// Runtime scope: runs, commands, artifacts and blobs carry runtime_id in their key. Ledger
// records are keyed by their run's run_key (a bigint identity, never reused) and only ever
// reached through the run's row, which is filtered on runtime_id — as in the SQLite schema.

import type { Pool } from 'pg';

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'runs, ledger, commands, artifacts and blobs',
    sql: `
      CREATE TABLE runs (
        run_key          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        runtime_id       TEXT NOT NULL,
        run_id           TEXT NOT NULL,
        workflow_id      TEXT NOT NULL,
        status           TEXT NOT NULL,
        wait_reason      TEXT,
        wait_key         TEXT,
        wait_until_ms    BIGINT,
        paused           BOOLEAN NOT NULL,  -- not queried: runnable_at_ms already says "paused"
        parent_run_id    TEXT,
        session_id       TEXT,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        updated_at_ms    BIGINT NOT NULL,
        run_json         TEXT NOT NULL,      -- text, not jsonb: read back byte for byte, never queried inside
        version          INTEGER NOT NULL,
        ledger_len       INTEGER NOT NULL DEFAULT 0,  -- the head: appends lock the row and bump it
        lease_owner      TEXT,
        lease_expires_ms BIGINT,             -- NULL exactly when lease_owner is NULL
        lease_epoch      INTEGER NOT NULL DEFAULT 0,
        runnable_at_ms   BIGINT,             -- 0 = runnable now, >0 = timer, NULL = not runnable
        UNIQUE (runtime_id, run_id)
      );
      CREATE INDEX runs_claim ON runs (runtime_id, runnable_at_ms, run_key) WHERE runnable_at_ms IS NOT NULL;
      CREATE INDEX runs_updated ON runs (runtime_id, updated_at_ms, run_key);
      CREATE INDEX runs_status ON runs (runtime_id, status, updated_at_ms);
      CREATE INDEX runs_workflow ON runs (runtime_id, workflow_id, updated_at_ms);
      CREATE INDEX runs_session ON runs (runtime_id, session_id, updated_at_ms) WHERE session_id IS NOT NULL;
      CREATE INDEX runs_parent ON runs (runtime_id, parent_run_id, run_key) WHERE parent_run_id IS NOT NULL;
      CREATE INDEX runs_waiting ON runs (runtime_id, wait_reason, wait_key) WHERE status = 'waiting';

      CREATE TABLE ledger_records (
        run_key         BIGINT NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
        seq             INTEGER NOT NULL,   -- 1..ledger_len, contiguous per run
        status          TEXT NOT NULL,
        idempotency_key TEXT,
        wait_key        TEXT,               -- result.wait.wait_key of 'waiting' records
        record_json     TEXT NOT NULL,
        PRIMARY KEY (run_key, seq)
      );
      CREATE INDEX ledger_completed_key ON ledger_records (run_key, idempotency_key, seq)
        WHERE idempotency_key IS NOT NULL AND status = 'completed';
      CREATE INDEX ledger_wait_key ON ledger_records (run_key, wait_key, seq) WHERE wait_key IS NOT NULL;

      CREATE TABLE commands (
        seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

      -- Content-addressed bytes, deduplicated within a runtime: no node needs a shared disk.
      CREATE TABLE artifact_blobs (
        runtime_id TEXT NOT NULL,
        blob_id    TEXT NOT NULL,           -- sha256 hex of content
        size_bytes BIGINT NOT NULL,
        content    BYTEA NOT NULL,
        PRIMARY KEY (runtime_id, blob_id)
      );
      CREATE TABLE artifacts (
        artifact_key  BIGINT GENERATED ALWAYS AS IDENTITY,
        runtime_id    TEXT NOT NULL,
        artifact_id   TEXT NOT NULL,
        blob_id       TEXT NOT NULL,
        content_type  TEXT NOT NULL,
        size_bytes    BIGINT NOT NULL,
        created_at    TEXT NOT NULL,
        run_id        TEXT,
        tags_json     TEXT NOT NULL,
        metadata_json TEXT NOT NULL,
        PRIMARY KEY (runtime_id, artifact_id),
        FOREIGN KEY (runtime_id, blob_id) REFERENCES artifact_blobs (runtime_id, blob_id)
      );
      CREATE INDEX artifacts_run ON artifacts (runtime_id, run_id, artifact_key) WHERE run_id IS NOT NULL;

      -- One row the health probe rewrites: proves a commit reaches the server's disk.
      CREATE TABLE write_probe (id INTEGER PRIMARY KEY, probed_at TIMESTAMPTZ NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'users, runtime reservations, browser sessions',
    sql: `
      CREATE TABLE users (
        tenant_id   TEXT NOT NULL,
        user_id     TEXT NOT NULL,
        email       TEXT NOT NULL,
        roles_json  TEXT NOT NULL,
        scopes_json TEXT NOT NULL,
        enabled     BOOLEAN NOT NULL,
        runtime_id  TEXT NOT NULL,
        token_hash  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (tenant_id, user_id)
      );
      CREATE UNIQUE INDEX users_token ON users (token_hash);
      CREATE UNIQUE INDEX users_runtime ON users (tenant_id, lower(runtime_id));

      CREATE TABLE runtime_reservations (
        tenant_id     TEXT NOT NULL,
        runtime_id    TEXT NOT NULL,
        owner_key     TEXT NOT NULL,
        owner_user_id TEXT NOT NULL,
        reason        TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
      );
      CREATE UNIQUE INDEX runtime_reservations_key ON runtime_reservations (tenant_id, lower(runtime_id));

      CREATE TABLE browser_sessions (
        session_hash           TEXT PRIMARY KEY,  -- sha256 of the session id; the id itself is never stored
        tenant_id              TEXT NOT NULL,
        user_id                TEXT NOT NULL,
        csrf_hash              TEXT NOT NULL,
        credential_fingerprint TEXT NOT NULL,
        token_fingerprint      TEXT NOT NULL,
        remember               BOOLEAN NOT NULL,
        created_at             TEXT NOT NULL,
        expires_at_ms          BIGINT NOT NULL,
        last_seen_ms           BIGINT NOT NULL
      );
      CREATE INDEX browser_sessions_user ON browser_sessions (tenant_id, user_id, last_seen_ms);
      CREATE INDEX browser_sessions_expiry ON browser_sessions (expires_at_ms);
    `,
  },
];

/** Arbitrary constant naming "abstractgateway schema migration" among advisory locks. */
const MIGRATION_LOCK = 0x41475731; // 'AGW1'

/**
 * Bring the schema up to date, holding a session advisory lock so that concurrent processes
 * wait for the first one and then find every step applied. Each step commits with its record.
 */
export async function migrate(pool: Pool): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)');
      const applied = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      const known = new Set(PG_MIGRATIONS.map((m) => m.version));
      const unknown = [...applied].filter((v) => !known.has(v));
      if (unknown.length > 0) {
        throw new Error(`Database schema has migrations this build does not know (${unknown.join(', ')}): refusing to open it`);
      }
      for (const m of PG_MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await c.query('BEGIN');
        try {
          await c.query(m.sql);
          await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [m.version, m.name]);
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK');
          throw err;
        }
      }
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    c.release();
  }
}
