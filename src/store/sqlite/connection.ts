// Opening a connection with the gateway's pragmas, and a prepared-statement cache.

import Database from 'better-sqlite3';

export type Db = Database.Database;
export type Stmt = Database.Statement<unknown[], unknown>;

export function openDb(file: string): Db {
  const db = new Database(file);
  db.pragma('busy_timeout = 5000'); // first: the pragmas below may need a lock another process holds
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Each group-commit job runs in a SAVEPOINT, whose sub-journal is a temp file by default:
  // keeping it in memory makes savepoints ~10x cheaper.
  db.pragma('temp_store = MEMORY');
  return db;
}

/**
 * A connection whose statements are prepared once per SQL text. Write `LIMIT ? + 0`, never a
 * bare `LIMIT ?`: SQLite plans for a bare LIMIT parameter's value, so it re-prepares the
 * statement every time one is bound.
 */
export class Conn {
  private readonly cache = new Map<string, Stmt>();

  constructor(readonly db: Db) {}

  stmt(sql: string): Stmt {
    let s = this.cache.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql) as Stmt;
      this.cache.set(sql, s);
    }
    return s;
  }
}
