// The write probe behind /api/health (../write-health.ts), run alone between commit batches:
// (1) can the file grow? — allocate 16 pages in a transaction that is rolled back, so nothing
// reaches the disk (a size cap or a full quota fails here with SQLITE_FULL); (2) does a commit
// reach the disk? — rewrite the header's user_version (unused by the schema), one WAL frame
// (a read-only file or mount, a full disk when the WAL must grow, an I/O error fail here).
// About 0.15 ms.

import type { Conn } from './connection.js';

const GROW_BYTES = 16 * 4096;

export function probeWrites(c: Conn): void {
  c.stmt('BEGIN IMMEDIATE').run();
  try {
    c.db.exec('CREATE TABLE write_probe (pad BLOB)');
    c.db.prepare('INSERT INTO write_probe (pad) VALUES (zeroblob(?))').run(GROW_BYTES);
  } finally {
    if (c.db.inTransaction) c.stmt('ROLLBACK').run();
  }
  const version = c.db.pragma('user_version', { simple: true }) as number;
  c.db.pragma(`user_version = ${Math.trunc(version)}`);
}
