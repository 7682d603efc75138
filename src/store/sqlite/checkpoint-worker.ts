// Worker thread shared by every SqliteStore of the process: copies each database's WAL back
// into its file (PASSIVE checkpoints) on its own connection, so the fsyncs this needs never
// block the event loop of the writer.
// Messages in: { open: id, dbPath } | { close: id }; out: id, once that connection is closed.

import { parentPort, workerData } from 'node:worker_threads';

import Database from 'better-sqlite3';

const { intervalMs } = workerData as { intervalMs: number };
const port = parentPort!;
const dbs = new Map<number, Database.Database>();

port.on('message', (m: { open: number; dbPath: string } | { close: number }) => {
  if ('open' in m) {
    const db = new Database(m.dbPath);
    db.pragma('busy_timeout = 5000');
    dbs.set(m.open, db);
  } else {
    dbs.get(m.close)?.close();
    dbs.delete(m.close);
    port.postMessage(m.close);
  }
});

setInterval(() => {
  for (const db of dbs.values()) {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy or I/O trouble: the next round retries, and the writer's own auto-checkpoint is the backstop.
    }
  }
}, intervalMs);
