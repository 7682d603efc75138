// `abstractgateway migrate --from sqlite:PATH --to postgres:URL` (issue 10): copies runs with
// their ledgers, commands, and artifacts with their blobs from a SQLite data dir into a
// PostgreSQL database (migrated to the current schema first), by direct SQL in both schemas.
//
// Resumable: every row is keyed as the stores key it (runtime_id + run_id / command_id /
// artifact_id) and inserted with ON CONFLICT DO NOTHING, so a second run skips what is already
// there. A run and its whole ledger commit in one transaction: a run present means its ledger is.
// Copied runs start unleased (the source gateway must be stopped; a run it held mid-step is
// claimed again by a PostgreSQL runner, exactly as after a crash). At the end every source key is
// looked up in the target and the counts are compared.

import type pg from 'pg';

import { migrate } from '../postgres/migrations.js';
import { openPool } from '../postgres/pool.js';
import { SqliteSource, type CommandRow, type RunRow, type SourceArtifactRow, type SourceCounts } from './sqlite-source.js';

export type Table = keyof SourceCounts;

export interface Progress {
  table: Table;
  /** Source rows handled so far (copied + already there) and in all. */
  done: number;
  total: number;
  copied: number;
}

export interface TransferReport {
  source: SourceCounts;
  /** Rows written by this invocation (the rest were already there). */
  copied: SourceCounts;
  /** Source rows found in the target at the end. */
  verified: SourceCounts;
  ok: boolean;
}

const RUN_BATCH = 100;
const COMMAND_BATCH = 1000;
const ARTIFACT_BATCH = 50;

/** One table's walk: pages of source rows, written and then looked up in the target. */
interface TableCopy<R> {
  table: Table;
  batch: number;
  page(after: number, limit: number): R[];
  cursor(row: R): number;
  /** Writes the rows that are not there yet; returns counts written (the ledger rides with runs). */
  copy(c: pg.PoolClient, rows: R[]): Promise<Partial<SourceCounts>>;
  /** How many of these rows (and of their ledger records) the target holds. */
  present(c: pg.PoolClient, rows: R[]): Promise<Partial<SourceCounts>>;
}

export async function transferSqliteToPostgres(o: { from: string; to: string; onProgress?: (p: Progress) => void }): Promise<TransferReport> {
  const src = new SqliteSource(o.from);
  const pool = openPool({ url: o.to, max: 1 });
  try {
    await migrate(pool);
    const c = await pool.connect();
    try {
      const source = src.counts();
      const copied: SourceCounts = { runs: 0, ledger: 0, commands: 0, artifacts: 0 };
      const verified: SourceCounts = { runs: 0, ledger: 0, commands: 0, artifacts: 0 };
      const tables = [runsCopy(src), commandsCopy(src), artifactsCopy(src)] as TableCopy<unknown>[];
      for (const t of tables) {
        await walk(t, async (rows, done) => {
          await c.query('BEGIN');
          try {
            add(copied, await t.copy(c, rows));
            await c.query('COMMIT');
          } catch (err) {
            await c.query('ROLLBACK');
            throw err;
          }
          o.onProgress?.({ table: t.table, done, total: source[t.table], copied: copied[t.table] });
        });
      }
      for (const t of tables) await walk(t, async (rows) => add(verified, await t.present(c, rows)));
      const ok = (Object.keys(source) as Table[]).every((k) => verified[k] === source[k]);
      return { source, copied, verified, ok };
    } finally {
      c.release();
    }
  } finally {
    src.close();
    await pool.end();
  }
}

async function walk<R>(t: TableCopy<R>, each: (rows: R[], done: number) => Promise<void>): Promise<void> {
  let after = 0;
  let done = 0;
  for (;;) {
    const rows = t.page(after, t.batch);
    if (rows.length === 0) return;
    done += rows.length;
    await each(rows, done);
    after = t.cursor(rows[rows.length - 1]);
  }
}

function add(into: SourceCounts, n: Partial<SourceCounts>): void {
  for (const k of Object.keys(n) as Table[]) into[k] += n[k] ?? 0;
}

const count = async (c: pg.PoolClient, text: string, values: unknown[]) => Number((await c.query<{ n: string }>(text, values)).rows[0].n);

/** `unnest` of one array per column, in the rows' order (WITH ORDINALITY keeps it for identities). */
function columns<R>(rows: R[], cols: (keyof R)[]): unknown[][] {
  return cols.map((k) => rows.map((r) => r[k]));
}

function runsCopy(src: SqliteSource): TableCopy<RunRow> {
  const KEYS = '(runtime_id, run_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))';
  return {
    table: 'runs',
    batch: RUN_BATCH,
    page: (after, limit) => src.runs(after, limit),
    cursor: (r) => r.run_key,
    async copy(c, rows) {
      const ledgers = new Map(rows.map((r) => [`${r.runtime_id}\0${r.run_id}`, src.ledger(r.run_key)]));
      const inserted = await c.query<{ run_key: number; runtime_id: string; run_id: string }>(
        `INSERT INTO runs (runtime_id, run_id, workflow_id, status, wait_reason, wait_key, wait_until_ms, paused, parent_run_id, session_id,
                           created_at, updated_at, updated_at_ms, run_json, version, ledger_len, lease_epoch, runnable_at_ms)
         SELECT t.a, t.b, t.c, t.d, t.e, t.f, t.g, t.h <> 0, t.i, t.j, t.k, t.l, t.m, t.n, t.o, t.p, t.q, t.r
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::int[], $9::text[], $10::text[],
                     $11::text[], $12::text[], $13::bigint[], $14::text[], $15::int[], $16::int[], $17::int[], $18::bigint[])
              WITH ORDINALITY AS t(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, ord)
         ORDER BY t.ord
         ON CONFLICT (runtime_id, run_id) DO NOTHING
         RETURNING run_key, runtime_id, run_id`,
        [
          ...columns(rows, ['runtime_id', 'run_id', 'workflow_id', 'status', 'wait_reason', 'wait_key', 'wait_until_ms', 'paused', 'parent_run_id', 'session_id']),
          ...columns(rows, ['created_at', 'updated_at', 'updated_at_ms', 'run_json', 'version']),
          rows.map((r) => ledgers.get(`${r.runtime_id}\0${r.run_id}`)!.length),
          ...columns(rows, ['lease_epoch', 'runnable_at_ms']),
        ],
      );
      const records = inserted.rows.flatMap((t) => ledgers.get(`${t.runtime_id}\0${t.run_id}`)!.map((l) => ({ ...l, run_key: t.run_key })));
      if (records.length > 0) {
        await c.query(
          `INSERT INTO ledger_records (run_key, seq, status, idempotency_key, wait_key, record_json)
           SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[])`,
          columns(records, ['run_key', 'seq', 'status', 'idempotency_key', 'wait_key', 'record_json']),
        );
      }
      return { runs: inserted.rows.length, ledger: records.length };
    },
    async present(c, rows) {
      const keys = columns(rows, ['runtime_id', 'run_id']);
      return {
        runs: await count(c, `SELECT count(*) AS n FROM runs WHERE ${KEYS}`, keys),
        ledger: await count(c, `SELECT count(*) AS n FROM ledger_records l JOIN runs r USING (run_key) WHERE ${KEYS}`, keys),
      };
    },
  };
}

function commandsCopy(src: SqliteSource): TableCopy<CommandRow> {
  return {
    table: 'commands',
    batch: COMMAND_BATCH,
    page: (after, limit) => src.commands(after, limit),
    cursor: (r) => r.seq,
    async copy(c, rows) {
      // seq is reassigned in source order: pending commands keep their order of application.
      const res = await c.query(
        `INSERT INTO commands (runtime_id, command_id, run_id, type, payload_json, ts, client_id, state, reason, applied_at)
         SELECT t.a, t.b, t.c, t.d, t.e, t.f, t.g, t.h, t.i, t.j
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
              WITH ORDINALITY AS t(a, b, c, d, e, f, g, h, i, j, ord)
         ORDER BY t.ord
         ON CONFLICT (runtime_id, command_id) DO NOTHING`,
        columns(rows, ['runtime_id', 'command_id', 'run_id', 'type', 'payload_json', 'ts', 'client_id', 'state', 'reason', 'applied_at']),
      );
      return { commands: res.rowCount ?? 0 };
    },
    async present(c, rows) {
      const keys = columns(rows, ['runtime_id', 'command_id']);
      return { commands: await count(c, 'SELECT count(*) AS n FROM commands WHERE (runtime_id, command_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))', keys) };
    },
  };
}

function artifactsCopy(src: SqliteSource): TableCopy<SourceArtifactRow> {
  const KEYS = '(runtime_id, artifact_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))';
  return {
    table: 'artifacts',
    batch: ARTIFACT_BATCH,
    page: (after, limit) => src.artifacts(after, limit),
    cursor: (r) => r.rowid,
    async copy(c, rows) {
      const there = await c.query<{ runtime_id: string; artifact_id: string }>(`SELECT runtime_id, artifact_id FROM artifacts WHERE ${KEYS}`, columns(rows, ['runtime_id', 'artifact_id']));
      const skip = new Set(there.rows.map((r) => `${r.runtime_id}\0${r.artifact_id}`));
      let copied = 0;
      for (const a of rows) {
        if (skip.has(`${a.runtime_id}\0${a.artifact_id}`)) continue;
        const content = await src.blob(a.blob_id); // only blobs not yet copied are read
        await c.query(
          'INSERT INTO artifact_blobs (runtime_id, blob_id, size_bytes, content) VALUES ($1, $2, $3, $4) ON CONFLICT (runtime_id, blob_id) DO NOTHING',
          [a.runtime_id, a.blob_id, content.byteLength, content],
        );
        await c.query(
          `INSERT INTO artifacts (runtime_id, artifact_id, blob_id, content_type, size_bytes, created_at, run_id, tags_json, metadata_json)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [a.runtime_id, a.artifact_id, a.blob_id, a.content_type, a.size_bytes, a.created_at, a.run_id, a.tags_json, a.metadata_json],
        );
        copied++;
      }
      return { artifacts: copied };
    },
    async present(c, rows) {
      return { artifacts: await count(c, `SELECT count(*) AS n FROM artifacts WHERE ${KEYS}`, columns(rows, ['runtime_id', 'artifact_id'])) };
    },
  };
}
