// In-process post-commit change signals, coalesced per committed batch.

import type { StoreEvents } from '../types.js';
import type { Signal } from './group-commit.js';

type Listeners = { [K in keyof StoreEvents]: Set<StoreEvents[K]> };

export class StoreEventBus {
  private readonly listeners: Listeners = { ledger: new Set(), runnable: new Set(), command: new Set() };

  on<K extends keyof StoreEvents>(event: K, fn: StoreEvents[K]): () => void {
    const set = this.listeners[event] as Set<StoreEvents[K]>;
    set.add(fn);
    return () => void set.delete(fn);
  }

  /** One event per run (its highest new seq) and per runtime, whatever the batch size. */
  emit(signals: Signal[]): void {
    // runtimeId → runId → last seq (nested maps: no per-signal key strings to build and hash)
    const ledgerHeads = new Map<string, Map<string, number>>();
    const runnable = new Set<string>();
    const command = new Set<string>();
    for (const s of signals) {
      if (s.kind === 'ledger') {
        let heads = ledgerHeads.get(s.runtimeId);
        if (heads === undefined) ledgerHeads.set(s.runtimeId, (heads = new Map()));
        if ((heads.get(s.runId) ?? 0) < s.lastSeq) heads.set(s.runId, s.lastSeq);
      } else {
        (s.kind === 'runnable' ? runnable : command).add(s.runtimeId);
      }
    }
    for (const [runtimeId, heads] of ledgerHeads) {
      for (const [runId, lastSeq] of heads) this.call(this.listeners.ledger, (fn) => fn(runtimeId, runId, lastSeq));
    }
    for (const runtimeId of runnable) this.call(this.listeners.runnable, (fn) => fn(runtimeId));
    for (const runtimeId of command) this.call(this.listeners.command, (fn) => fn(runtimeId));
  }

  // A failing listener must not affect the store (the data is committed) or other listeners.
  private call<F>(set: Set<F>, invoke: (fn: F) => void): void {
    for (const fn of set) {
      try {
        invoke(fn);
      } catch (err) {
        process.emitWarning(`Store event listener failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      }
    }
  }
}
