// Live, non-durable progress of a run — today the partial text of a streaming LLM call — for
// the ledger streams of this process. Nothing here is stored: the ledger keeps the final result
// only, so replay stays small; a client that connects late simply sees the completed record.

import { EventEmitter } from 'node:events';
import type { JsonObject } from '../model/run.js';

export interface LiveDelta extends JsonObject {
  run_id: string;
  node_id: string;
  /** The effect's idempotency key: deltas of one call share it, a retry starts over. */
  idempotency_key: string;
  /** Text appended since the previous delta. */
  delta: string;
}

export class LiveProgress {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open stream of a run: no leak warning for busy runs.
    this.emitter.setMaxListeners(0);
  }

  publish(delta: LiveDelta): void {
    if (this.emitter.listenerCount(delta.run_id) > 0) this.emitter.emit(delta.run_id, delta);
  }

  /** Deltas of one run, until the returned function is called. */
  subscribe(runId: string, fn: (delta: LiveDelta) => void): () => void {
    this.emitter.on(runId, fn);
    return () => void this.emitter.off(runId, fn);
  }
}
