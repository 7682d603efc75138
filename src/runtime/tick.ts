// Advancing one leased run (spec runtime-visualflow §3.2). Node handlers decide; this module
// performs effects and commits each step atomically: checkpoint + the records it produced +
// the runs it touched. Pure transitions write no records and are committed with the next
// effect or at the end of the tick (re-running them after a crash is harmless).

import type { CompiledWorkflow, StepContext, WorkflowSource } from '../flow/types.js';
import { LeaseLost, VersionConflict, type Fence, type RuntimeStore, type StoreTx, type StoredRun } from '../store/types.js';
import type { EffectCall, EffectHandler, EffectHandlers } from './effects/types.js';
import { finishedRecord, completionRecord, startedRecord, tickExceptionRecord } from './records.js';
import { idempotencyKey, stampToolCalls } from './idempotency.js';
import { appendNodeTrace } from './node-traces.js';
import { isPaused } from './control.js';
import { saveRun } from './transitions.js';
import type { Offloader } from './offload.js';
import { stepBudgetError, usageOf, type RunLimits } from './budgets.js';
import { isTerminal, type EffectOutcome, type RunState, type StepPlan, type StepRecord } from '../model/run.js';
import { setByPath } from '../model/paths.js';
import { cloneJson, isPlainObject } from '../model/json.js';
import { isoFromMs, parseIsoMs } from '../model/time.js';

export interface TickDeps {
  store: RuntimeStore;
  workflows: WorkflowSource;
  effects: EffectHandlers;
  offloader: Offloader;
  stepContext: StepContext;
  /** Steps per tick before the run is handed back (fairness between runs). */
  maxSteps: number;
  /** Run budgets: the step budget is enforced here, depth and children by start_subworkflow. */
  limits: RunLimits;
  leaseMs: number;
  /** Asked between steps: true when the runner is shutting down. */
  stopping: () => boolean;
  /** Aborted when the runner stops: outside calls in flight are interrupted. */
  stopSignal: AbortSignal;
  /** Calls `fn` on each hint that `runId`'s ledger grew (e.g. a cancel's terminal record); returns the unsubscribe. */
  onLedger: (runId: string, fn: () => void) => () => void;
  /** Runs an outside-world call; the runner lends the tick's worker slot to other runs meanwhile. */
  awaitOutside: <T>(fn: () => Promise<T>) => Promise<T>;
}

type StepResult = 'continue' | 'stop' | 'reload';

/**
 * An outside call given up on purpose (runner stopping, run cancelled meanwhile): nothing is
 * committed for it, so the run stays at the effect with its started record — after a restart the
 * call runs again under the same idempotency key, as after a crash.
 */
export class EffectInterrupted extends Error {
  override readonly name = 'EffectInterrupted';
}

/**
 * A tick also ends after this much time spent stepping (besides ABSTRACTGATEWAY_TICK_MAX_STEPS),
 * so heavy pure nodes cannot hold a tick worker and the event loop for long. Waiting on an
 * outside effect does not count: the event loop was free meanwhile.
 */
const TICK_SLICE_MS = 20;

const noHandler = (type: string): EffectHandler => ({
  mode: 'inline',
  run: () => ({ status: 'failed', error: `No effect handler registered for ${type}` }),
});

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name || 'Error'}: ${e.message}`;
  return `Error: ${String(e)}`;
}

function notePrevious(run: RunState, plan: StepPlan): void {
  const t = isPlainObject(run.vars._temp) ? run.vars._temp : (run.vars._temp = {});
  t.prev_node_id = plan.node_id;
  t.prev_next_node = plan.next_node ?? null;
}

/** Fold an effect outcome into a run's working copy (spec §3.2, after executeWithRetry). */
export function applyEffectOutcome(run: RunState, plan: StepPlan, outcome: EffectOutcome, key: string, reused: boolean, durationMs: number, at: string): void {
  const effect = plan.effect!;
  appendNodeTrace(run, plan.node_id, effect, key, outcome, reused, durationMs, at);
  if (outcome.status === 'failed') {
    run.status = 'failed';
    run.error = outcome.error;
  } else if (outcome.status === 'waiting') {
    // The step budget counts steps between waits: a long-lived run (listener, schedule) that
    // keeps waiting never runs out; a loop that never waits does.
    if (run.usage) run.usage.steps = 0;
    notePrevious(run, plan);
    run.status = 'waiting';
    run.waiting = outcome.wait;
  } else {
    if (effect.result_key && outcome.result !== null && outcome.result !== undefined) setByPath(run.vars, effect.result_key, outcome.result);
    if (!plan.next_node) {
      run.status = 'completed';
      run.output = { success: true, result: outcome.result };
    } else {
      notePrevious(run, plan);
      run.current_node = plan.next_node;
    }
  }
}

/** The call a handler receives for a planned effect. */
function effectCall(run: RunState, plan: StepPlan, nowMs: number): EffectCall {
  const key = idempotencyKey(run.run_id, plan.node_id, plan.effect!);
  return { run, node_id: plan.node_id, effect: stampToolCalls(plan.effect!, key), default_next: plan.next_node ?? null, idempotency_key: key, now_ms: nowMs };
}

/**
 * A new run's entry step, taken in memory when it parks the run on an inline `wait_event` (an
 * event listener, spec §3.4.4): its records, with the outcome applied to `run`. Any other entry
 * step is left to the runner. Lets a listener be created already waiting, in its root's start
 * transaction, so an event the root emits on its first steps cannot slip past it.
 */
export async function parkOnEntryWait(run: RunState, wf: CompiledWorkflow, effects: EffectHandlers, ctx: StepContext): Promise<StepRecord[]> {
  const plan = wf.step(run, ctx);
  const handler = plan.effect?.type === 'wait_event' ? effects.get('wait_event') : undefined;
  if (handler?.mode !== 'inline') return [];
  const call = effectCall(run, plan, ctx.nowMs());
  const at = isoFromMs(call.now_ms);
  const started = startedRecord(run, plan.node_id, call.effect, call.idempotency_key, at);
  const outcome = await handler.run(call);
  applyEffectOutcome(run, plan, outcome, call.idempotency_key, false, 0, at);
  return [started, finishedRecord(started, run, outcome, at)];
}

/** Ticks one run while holding its lease. Create one per claim. */
export class RunTicker {
  private sr!: StoredRun;
  private run!: RunState;
  private released = false;
  /** performance.now() when the current time slice began. */
  private sliceStart = 0;

  constructor(
    private readonly deps: TickDeps,
    private readonly runId: string,
    private readonly fence: Fence,
  ) {}

  async tick(): Promise<void> {
    try {
      await this.loop();
    } catch (e) {
      if (e instanceof EffectInterrupted) return; // the lease is released below
      if (!(e instanceof LeaseLost)) throw e;
      this.released = true; // someone else owns the run now
    } finally {
      if (!this.released) await this.deps.store.releaseLease(this.runId, this.fence);
    }
  }

  private async loop(): Promise<void> {
    if (!(await this.reload())) return;
    let steps = 0;
    this.sliceStart = performance.now();
    for (;;) {
      const run = this.run;
      if (isTerminal(run.status) || isPaused(run)) return;
      if (run.status === 'waiting') {
        if (!this.unblockDueTimer()) return;
      }
      if (steps >= this.deps.maxSteps || performance.now() - this.sliceStart >= TICK_SLICE_MS || this.deps.stopping()) {
        await this.checkpoint();
        return;
      }
      const used = usageOf(run);
      if (used.steps >= this.deps.limits.maxSteps) {
        await this.failTick(stepBudgetError(this.deps.limits.maxSteps));
        return;
      }
      used.steps += 1;
      steps += 1;
      const r = await this.step();
      if (r === 'stop') return;
      if (r === 'reload' && !(await this.reload())) return;
    }
  }

  private async reload(): Promise<boolean> {
    const sr = await this.deps.store.getRun(this.runId);
    if (!sr || sr.lease_owner !== this.fence.owner || sr.lease_epoch !== this.fence.epoch) {
      this.released = true;
      return false;
    }
    this.sr = sr;
    this.run = cloneJson(sr.run);
    return true;
  }

  /** A timer wait that is due unblocks without a resume record (spec §3.2). */
  private unblockDueTimer(): boolean {
    const w = this.run.waiting;
    if (!w || w.reason !== 'until' || !w.until) return false;
    if (this.deps.stepContext.nowMs() < parseIsoMs(w.until)) return false;
    this.run.status = 'running';
    this.run.waiting = null;
    if (w.resume_to_node) this.run.current_node = w.resume_to_node;
    return true;
  }

  /** Now on the runtime's clock, as records write it. */
  private now(): string {
    return isoFromMs(this.deps.stepContext.nowMs());
  }

  private workflow(): CompiledWorkflow | undefined {
    return this.deps.workflows.getWorkflow(this.run.workflow_id);
  }

  private async step(): Promise<StepResult> {
    const run = this.run;
    let wf = this.workflow();
    if (!wf) {
      await this.deps.workflows.reload?.();
      wf = this.workflow();
    }
    if (!wf) return this.failTick(`WorkflowNotFound: Workflow '${run.workflow_id}' is not loaded`);
    let plan: StepPlan;
    try {
      plan = wf.step(run, this.deps.stepContext);
    } catch (e) {
      return this.failTick(describeError(e));
    }
    if (plan.complete_output !== undefined && plan.complete_output !== null) {
      run.status = 'completed';
      run.output = plan.complete_output;
      const rec = await this.deps.offloader.offload(completionRecord(run, plan.node_id, { completed: true, output: run.output }, this.now()));
      return this.commit([rec]);
    }
    if (!plan.effect) {
      if (!plan.next_node) return this.failTick(`RuntimeError: Node '${plan.node_id}' returned no effect and no next_node`);
      notePrevious(run, plan);
      run.current_node = plan.next_node;
      return 'continue';
    }
    return this.effectStep(plan);
  }

  private async effectStep(plan: StepPlan): Promise<StepResult> {
    const effect = plan.effect!;
    const call = effectCall(this.run, plan, this.deps.stepContext.nowMs());
    const key = call.idempotency_key;
    const handler = this.deps.effects.get(effect.type) ?? noHandler(effect.type);
    const started = await this.deps.offloader.offload(startedRecord(this.run, plan.node_id, call.effect, key, this.now()));
    if (handler.mode === 'external') return this.externalEffect(plan, call, handler, started);

    const t0 = this.deps.stepContext.nowMs();
    // Inline handlers are pure: run them before the transaction so their records can be offloaded.
    const inlineOutcome = handler.mode === 'inline' ? await handler.run(call) : null;
    const inlineFinished = inlineOutcome ? await this.deps.offloader.offload(finishedRecord(started, this.run, inlineOutcome, this.now())) : null;
    return this.commit([], async (tx) => {
      const prior = await tx.findCompletedRecord(this.run.run_id, key);
      if (prior) {
        applyEffectOutcome(this.run, plan, { status: 'completed', result: prior.result }, key, true, 0, tx.nowIso());
        return [];
      }
      const outcome = inlineOutcome ?? (await (handler as Extract<EffectHandler, { mode: 'transactional' }>).run(call, { tx, workflows: this.deps.workflows }));
      const finished = inlineFinished ?? finishedRecord(started, this.run, outcome, tx.nowIso());
      applyEffectOutcome(this.run, plan, outcome, key, false, this.deps.stepContext.nowMs() - t0, tx.nowIso());
      return [started, finished];
    });
  }

  /** Outside-world effects: the started record commits first; the result commits with the next checkpoint. */
  private async externalEffect(
    plan: StepPlan,
    call: EffectCall,
    handler: Extract<EffectHandler, { mode: 'external' }>,
    started: StepRecord,
  ): Promise<StepResult> {
    let reused = false;
    const first = await this.commit([], async (tx) => {
      const prior = await tx.findCompletedRecord(this.run.run_id, call.idempotency_key);
      if (!prior) return [started];
      reused = true;
      applyEffectOutcome(this.run, plan, { status: 'completed', result: prior.result }, call.idempotency_key, true, 0, tx.nowIso());
      return [];
    });
    if (first !== 'continue' || reused) return first;

    const t0 = this.deps.stepContext.nowMs();
    const outcome = await this.deps.awaitOutside(() =>
      this.withLeaseRenewal((signal) =>
        handler.run(call, signal).catch((e) => {
          if (signal.aborted && signal.reason instanceof Error) throw signal.reason; // interrupted or lease lost: commit nothing
          return { status: 'failed' as const, error: `Effect handler raised exception: ${describeError(e)}` };
        }),
      ),
    );
    this.sliceStart = performance.now();
    const finished = await this.deps.offloader.offload(finishedRecord(started, this.run, outcome, this.now()));
    const r = await this.commit([], async () => {
      applyEffectOutcome(this.run, plan, outcome, call.idempotency_key, false, this.deps.stepContext.nowMs() - t0, finished.ended_at!);
      return [finished];
    });
    if (r === 'reload') {
      // The run changed under us (e.g. paused): keep the effect's result so it is reused, not
      // re-run — unless it ended meanwhile (cancelled): nothing follows a terminal record.
      await this.deps.store.tx(async (tx) => {
        const current = await tx.getRun(this.runId);
        if (current && !isTerminal(current.run.status)) await tx.appendLedger(this.runId, [finished]);
      });
    }
    return r;
  }

  private async withLeaseRenewal<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    const every = Math.max(50, Math.floor(this.deps.leaseMs / 3));
    const timer = setInterval(() => {
      const now = this.deps.stepContext.nowMs();
      this.deps.store.renewLease(this.runId, this.fence, this.deps.leaseMs, now).then(
        (ok) => ok || ac.abort(new LeaseLost(this.runId)),
        () => undefined,
      );
    }, every);
    // A cancel lands as a terminal record: abort the outside call (e.g. close the LLM request).
    const unwatch = this.deps.onLedger(this.runId, () => {
      this.deps.store.getRun(this.runId).then(
        (sr) => sr && isTerminal(sr.run.status) && ac.abort(new EffectInterrupted(`run ${this.runId} ended (${sr.run.status}) during the effect`)),
        () => undefined,
      );
    });
    const onStop = () => ac.abort(this.deps.stopSignal.reason);
    if (this.deps.stopSignal.aborted) onStop();
    else this.deps.stopSignal.addEventListener('abort', onStop, { once: true });
    try {
      return await fn(ac.signal);
    } finally {
      clearInterval(timer);
      unwatch();
      this.deps.stopSignal.removeEventListener('abort', onStop);
    }
  }

  private async failTick(error: string): Promise<StepResult> {
    this.run.status = 'failed';
    this.run.error = error;
    return this.commit([tickExceptionRecord(this.run, error, this.now())]);
  }

  /** Persist pending pure transitions and hand the run back, behind the runs already queued. */
  private async checkpoint(): Promise<void> {
    await this.commit([], undefined, true);
  }

  /**
   * Commit the working copy plus records in one transaction (fenced by our lease). `inTx`
   * runs inside the transaction and returns more records. The lease is released in the same
   * write once the run stops being runnable by us.
   */
  private async commit(records: StepRecord[], inTx?: (tx: StoreTx) => Promise<StepRecord[]>, release = false): Promise<StepResult> {
    try {
      const result = await this.deps.store.tx(async (tx) => {
        const all = inTx ? [...records, ...(await inTx(tx))] : [...records];
        const stopHere = release || this.run.status !== 'running' || this.deps.stopping();
        // A run handed back while still runnable goes to the back of the claim order (fairness).
        const requeueAtMs = release ? this.deps.stepContext.nowMs() : undefined;
        const version = await saveRun(tx, this.sr, this.run, all, { fence: this.fence, releaseLease: stopHere, requeueAtMs });
        return { version, stopHere };
      });
      this.sr = { ...this.sr, version: result.version, run: { ...this.run } };
      if (result.stopHere) this.released = true;
      return result.stopHere ? 'stop' : 'continue';
    } catch (e) {
      if (e instanceof VersionConflict) return 'reload';
      throw e;
    }
  }
}
