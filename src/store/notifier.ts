// Wake-up hints (DESIGN "push is only a hint"): after a commit the store publishes what changed —
// a run's ledger grew, work may be runnable, a command arrived — and runners and ledger streams
// wake up and read the store from their own cursor. A lost hint costs latency, never a record:
// every consumer also has a slow fallback poll.
//
// LocalNotifier delivers within one process. Backends add a cross-process transport around it
// (SQLite: a Unix socket per process in the data dir; PostgreSQL: LISTEN/NOTIFY).

/** A change a transaction made, announced once it has committed. */
export type Hint =
  | { kind: 'ledger'; runtimeId: string; runId: string; lastSeq: number }
  | { kind: 'runnable' | 'command'; runtimeId: string };

export interface HintListeners {
  /** Ledger of `runId` grew to `lastSeq` records. */
  ledger: (runtimeId: string, runId: string, lastSeq: number) => void;
  /** A run became (possibly) runnable or a timer changed: runners should look. */
  runnable: (runtimeId: string) => void;
  /** A command was submitted. */
  command: (runtimeId: string) => void;
}

export interface Notifier {
  /** Announce the hints of one commit (or of one batch of commits) to every listener. */
  publish(hints: Hint[]): void;
  /** Listen for hints from this process and, where the transport allows, from others. */
  on<K extends keyof HintListeners>(kind: K, fn: HintListeners[K]): () => void;
  close(): Promise<void>;
}

type Listeners = { [K in keyof HintListeners]: Set<HintListeners[K]> };

/** Collapse a batch: one ledger hint per run (its highest seq), one hint per runtime and kind. */
export function coalesce(hints: Hint[]): Hint[] {
  // runtimeId → runId → last seq (nested maps: no per-hint key strings to build and hash)
  const ledgerHeads = new Map<string, Map<string, number>>();
  const runnable = new Set<string>();
  const command = new Set<string>();
  for (const h of hints) {
    if (h.kind === 'ledger') {
      let heads = ledgerHeads.get(h.runtimeId);
      if (heads === undefined) ledgerHeads.set(h.runtimeId, (heads = new Map()));
      if ((heads.get(h.runId) ?? 0) < h.lastSeq) heads.set(h.runId, h.lastSeq);
    } else {
      (h.kind === 'runnable' ? runnable : command).add(h.runtimeId);
    }
  }
  const out: Hint[] = [];
  for (const [runtimeId, heads] of ledgerHeads) for (const [runId, lastSeq] of heads) out.push({ kind: 'ledger', runtimeId, runId, lastSeq });
  for (const runtimeId of runnable) out.push({ kind: 'runnable', runtimeId });
  for (const runtimeId of command) out.push({ kind: 'command', runtimeId });
  return out;
}

export class LocalNotifier implements Notifier {
  private readonly listeners: Listeners = { ledger: new Set(), runnable: new Set(), command: new Set() };

  on<K extends keyof HintListeners>(kind: K, fn: HintListeners[K]): () => void {
    const set = this.listeners[kind] as Set<HintListeners[K]>;
    set.add(fn);
    return () => void set.delete(fn);
  }

  publish(hints: Hint[]): void {
    for (const h of coalesce(hints)) {
      if (h.kind === 'ledger') this.call(this.listeners.ledger, (fn) => fn(h.runtimeId, h.runId, h.lastSeq));
      else this.call(this.listeners[h.kind], (fn) => fn(h.runtimeId));
    }
  }

  async close(): Promise<void> {
    for (const set of Object.values(this.listeners)) set.clear();
  }

  // A failing listener must not affect the store (the data is committed) or other listeners.
  private call<F>(set: Set<F>, invoke: (fn: F) => void): void {
    for (const fn of set) {
      try {
        invoke(fn);
      } catch (err) {
        process.emitWarning(`Hint listener failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      }
    }
  }
}
