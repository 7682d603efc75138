// The runner: applies inbox commands in seq order, claims runnable runs with leases and
// ticks them. It wakes on store signals (commits in this process), on the earliest due
// timer (millisecond precision), and on a slow poll that covers other processes sharing
// the store. Several runners on one store never double-execute a step: claims are leases
// with epoch fencing and every commit is fenced. When the store cannot be written (full disk,
// read-only data dir) a failed cycle backs off exponentially and the fault is logged once per
// streak, instead of retrying — and logging — on every poll.

import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { RuntimeStore, Store } from '../store/types.js';
import { EffectInterrupted, RunTicker, type TickDeps } from './tick.js';
import { applyCommand } from './commands.js';
import { isoFromMs } from '../model/time.js';
import { FaultStreak } from '../model/fault-streak.js';
import { faultReason, isStorageFault } from '../store/faults.js';

/** First pause after a failed cycle; it doubles on each further failure, up to the max. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 10_000;

export interface RunnerOptions {
  /** Max runs ticked concurrently by this runner (runs waiting on an outside call don't count). */
  concurrency?: number;
  /** Max runs waiting on an outside call (LLM, tools) at once, beyond `concurrency` (default 1,024). */
  maxOutside?: number;
  leaseMs?: number;
  /** Fallback poll for changes made by other processes. */
  pollMs?: number;
  commandBatch?: number;
  owner?: string;
  log?: (msg: string) => void;
}

export class Runner {
  readonly owner: string;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly commandBatch: number;
  private readonly inflight = new Map<string, Promise<void>>();
  /** Ticks currently awaiting an outside call: their worker slot is free for other runs. */
  private outside = 0;
  /** Aborted by stop(): interrupts outside calls in flight (each adds a listener). */
  private stopController = unlimitedListeners(new AbortController());
  private readonly unsubscribe: (() => void)[] = [];
  private running = false;
  private stopping = false;
  private cycleQueued = false;
  private cycleActive = false;
  private cycleAgain = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt = Infinity;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly storeFaults: FaultStreak;
  /** Pause before the next cycle after failures (0: none); no cycle starts while retryTimer is armed. */
  private retryDelay = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Where the current failure streak shows: only a success of the same kind (or a tick) ends it. */
  private faultIn: 'cycle' | 'tick' | null = null;

  constructor(
    private readonly store: Store,
    private readonly scoped: RuntimeStore,
    private readonly tickDeps: Omit<TickDeps, 'stopping' | 'stopSignal' | 'store' | 'leaseMs' | 'onLedger' | 'awaitOutside'>,
    private readonly opts: RunnerOptions = {},
  ) {
    this.owner = opts.owner ?? `runner-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.concurrency = opts.concurrency ?? 64;
    this.pollMs = opts.pollMs ?? 1000;
    this.commandBatch = opts.commandBatch ?? 200;
    this.storeFaults = new FaultStreak('runner store write', (m) => this.log(m));
  }

  /** The pause before the next cycle after failed ones, in ms (0 when the last cycle succeeded). */
  get retryDelayMs(): number {
    return this.retryDelay;
  }

  private readonly onLedger = (runId: string, fn: () => void): (() => void) =>
    this.store.notifier.on('ledger', (runtimeId, id) => runtimeId === this.scoped.runtimeId && id === runId && fn());

  /** A tick awaiting an LLM or tool call gives its worker slot back until the call returns. */
  private readonly awaitOutside = async <T>(fn: () => Promise<T>): Promise<T> => {
    // Only a saturated runner has runs left unclaimed for want of a slot: then look for them.
    const saturated = this.inflight.size - this.outside >= this.concurrency;
    this.outside++;
    if (saturated) this.kick();
    try {
      return await fn();
    } finally {
      this.outside--;
    }
  };

  private get leaseMs(): number {
    return this.opts.leaseMs ?? 15_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const mine = (runtimeId: string) => runtimeId === this.scoped.runtimeId;
    this.unsubscribe.push(this.store.notifier.on('runnable', (rt) => mine(rt) && this.kick()));
    this.unsubscribe.push(this.store.notifier.on('command', (rt) => mine(rt) && this.kick()));
    this.pollTimer = setInterval(() => this.kick(), this.pollMs);
    this.pollTimer.unref();
    this.kick();
  }

  /**
   * Stop claiming, let in-flight ticks finish their current step, release leases. Outside calls
   * (LLM, tools) are interrupted instead of awaited: they run again after a restart, under the
   * same idempotency key, like after a crash.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.stopController.abort(new EffectInterrupted('the runner is stopping'));
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    while (this.cycleActive || this.inflight.size > 0) {
      await Promise.allSettled([...this.inflight.values()]);
      if (this.cycleActive) await new Promise((r) => setTimeout(r, 5));
    }
    this.running = false;
    this.stopping = false;
    this.stopController = unlimitedListeners(new AbortController());
  }

  /** Resolves once no command is pending, nothing is runnable now and no tick is in flight (tests, benchmarks). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.inflight.size === 0 && !this.cycleActive && !this.cycleQueued) {
        const [cmds, next] = await Promise.all([this.scoped.pendingCommands(1), this.scoped.nextWakeAt()]);
        if (cmds.length === 0 && (next === null || next > this.now()) && this.inflight.size === 0 && !this.cycleActive) return;
        this.kick();
      }
      await new Promise<void>((r) => {
        this.idleWaiters.push(r);
        setTimeout(r, 20).unref();
      });
    }
  }

  /** Request a cycle soon; bursts of signals collapse into one cycle. */
  kick(): void {
    if (!this.running || this.stopping || this.retryTimer) return;
    if (this.cycleActive) {
      this.cycleAgain = true;
      return;
    }
    if (this.cycleQueued) return;
    this.cycleQueued = true;
    setImmediate(() => {
      this.cycleQueued = false;
      if (this.running && !this.stopping) void this.cycle();
    });
  }

  private async cycle(): Promise<void> {
    this.cycleActive = true;
    try {
      do {
        this.cycleAgain = false;
        await this.applyCommands();
        await this.claimAndTick();
      } while (this.cycleAgain && !this.stopping);
      await this.armWakeTimer();
      if (this.faultIn === 'cycle') this.recovered();
    } catch (e) {
      this.backOff(e, 'cycle');
    } finally {
      this.cycleActive = false;
    }
    if (this.inflight.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /**
   * After a failed cycle, or a tick that failed on the store: report it (a storage fault once
   * per streak) and hold off cycles for a pause that doubles while failures continue. Under a
   * size cap claims (in-place updates) still succeed while ticks fail, so a successful cycle
   * ends only a streak of failed cycles; a successful tick ends any.
   */
  private backOff(e: unknown, where: 'cycle' | 'tick'): void {
    if (isStorageFault(e)) this.storeFaults.fail(faultReason(e));
    else this.log(`runner cycle failed: ${(e as Error).stack ?? e}`);
    this.faultIn = where;
    if (this.retryTimer) return; // already holding off: one doubling per pause
    this.retryDelay = Math.min(RETRY_MAX_MS, this.retryDelay === 0 ? RETRY_FIRST_MS : this.retryDelay * 2);
    if (this.stopping) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, this.retryDelay);
    this.retryTimer.unref();
  }

  private recovered(): void {
    this.faultIn = null;
    this.retryDelay = 0;
    this.storeFaults.ok();
  }

  private async applyCommands(): Promise<void> {
    for (;;) {
      const batch = await this.scoped.pendingCommands(this.commandBatch);
      for (const cmd of batch) {
        if (this.stopping) return;
        try {
          await this.scoped.tx((tx) => applyCommand(tx, cmd));
        } catch (e) {
          // A storage fault is not the command's: it stays pending and the cycle backs off.
          if (isStorageFault(e)) throw e;
          // Another runner on the same store settled it first (its transaction won the race).
          if ((await this.scoped.getCommand(cmd.command_id))?.state !== 'pending') continue;
          // A command that crashes its own application must not block the inbox.
          this.log(`command ${cmd.seq} (${cmd.type}) failed: ${(e as Error).message}`);
          await this.scoped
            .tx((tx) => tx.settleCommand(cmd.seq, 'rejected', `Internal error: ${(e as Error).message}`, isoFromMs(this.now())))
            .catch(() => undefined);
        }
      }
      if (batch.length < this.commandBatch) return;
    }
  }

  private async claimAndTick(): Promise<void> {
    const busy = this.inflight.size - this.outside;
    const free = Math.min(this.concurrency - busy, this.concurrency + (this.opts.maxOutside ?? 1024) - this.inflight.size);
    if (free <= 0 || this.stopping) return;
    const claims = await this.scoped.claimRunnable(this.owner, this.leaseMs, free, this.now());
    for (const c of claims) {
      const ticker = new RunTicker({ ...this.tickDeps, store: this.scoped, leaseMs: this.leaseMs, stopping: () => this.stopping, stopSignal: this.stopController.signal, onLedger: this.onLedger, awaitOutside: this.awaitOutside }, c.run_id, {
        owner: this.owner,
        epoch: c.lease_epoch,
      });
      const p = ticker
        .tick()
        .then(
          () => {
            if (this.faultIn !== null) this.recovered();
          },
          (e) => (isStorageFault(e) ? this.backOff(e, 'tick') : this.log(`tick of run ${c.run_id} failed: ${(e as Error).stack ?? e}`)),
        )
        .finally(() => {
          // The run may have been claimed again (by a newer ticker) after this one let it go.
          if (this.inflight.get(c.run_id) === p) this.inflight.delete(c.run_id);
          this.kick();
          if (this.inflight.size === 0 && !this.cycleActive) for (const w of this.idleWaiters.splice(0)) w();
        });
      this.inflight.set(c.run_id, p);
    }
  }

  /** Sleep until the earliest timer instead of scanning on an interval. */
  private async armWakeTimer(): Promise<void> {
    const next = await this.scoped.nextWakeAt();
    if (next === null || this.stopping) return;
    const now = this.now();
    if (next <= now) {
      if (this.inflight.size === 0) this.kick();
      return;
    }
    if (this.wakeTimer && next >= this.wakeAt) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = next;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.wakeAt = Infinity;
      this.kick();
    }, next - now);
  }

  private now(): number {
    return this.tickDeps.stepContext.nowMs();
  }

  private log(msg: string): void {
    (this.opts.log ?? ((m: string) => process.stderr.write(`${m}\n`)))(msg);
  }
}

function unlimitedListeners(ac: AbortController): AbortController {
  setMaxListeners(0, ac.signal);
  return ac;
}
