// Background WAL checkpoints (see checkpoint-worker.ts). One worker thread serves every store
// of the process. The writer keeps a high automatic checkpoint threshold as a safety net for
// when the worker falls behind or is gone.

import { Worker } from 'node:worker_threads';

import type { Db } from './connection.js';

const INTERVAL_MS = 50;
const FALLBACK_AUTOCHECKPOINT_PAGES = 20_000; // ~80 MB of WAL
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024; // truncate a WAL that grew past this once checkpointed

interface SharedWorker {
  worker: Worker;
  nextId: number;
  closing: Map<number, () => void>;
}

let shared: SharedWorker | null = null;

function sharedWorker(): SharedWorker {
  if (shared) return shared;
  const worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), {
    workerData: { intervalMs: INTERVAL_MS },
    execArgv: [], // the parent's flags (e.g. --input-type) may not apply to a worker file
  });
  worker.unref(); // idle, it never keeps the process alive
  const s: SharedWorker = { worker, nextId: 1, closing: new Map() };
  worker.on('message', (id: number) => {
    s.closing.get(id)?.();
    s.closing.delete(id);
    if (s.closing.size === 0) worker.unref();
  });
  worker.on('error', (err) => {
    // Stores keep working on the writer's auto-checkpoint; the next store opened starts a new worker.
    process.emitWarning(`SQLite checkpoint worker failed: ${err.message}`);
    if (shared === s) shared = null;
    for (const done of s.closing.values()) done();
  });
  shared = s;
  return s;
}

export class Checkpointer {
  private readonly s = sharedWorker();
  private readonly id = this.s.nextId++;

  constructor(writer: Db, dbPath: string) {
    writer.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    writer.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    this.s.worker.postMessage({ open: this.id, dbPath });
  }

  /** Resolves once the worker has closed its connection to this database. */
  stop(): Promise<void> {
    if (shared !== this.s) return Promise.resolve(); // the worker died; nothing to close
    return new Promise((resolve) => {
      this.s.closing.set(this.id, resolve);
      this.s.worker.ref(); // keep the loop alive until the reply arrives
      this.s.worker.postMessage({ close: this.id });
    });
  }
}
