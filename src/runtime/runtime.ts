// The runtime facade for one runtime scope: start runs, submit commands, read runs, ledgers and
// artifacts, watch ledgers, and (optionally) drive runs with an embedded runner. The scope's
// store stays private: callers above see only these operations. No HTTP in here.

import { randomUUID } from 'node:crypto';
import { invalid, notFound } from '../errors.js';
import type { StepContext, WorkflowSource } from '../flow/types.js';
import type { ArtifactMetadata, LedgerJsonPage, LedgerPage, RunListQuery, RunStamp, RuntimeStore, Store, StoredRun, SubmitResult } from '../store/types.js';
import { defaultEffectHandlers, type EffectHandler } from './effects/index.js';
import type { EffectHandlers } from './effects/types.js';
import { newRunState } from './new-run.js';
import { DEFAULT_RUN_LIMITS, type RunLimits } from './budgets.js';
import { createListeners } from './listeners.js';
import { LedgerWatcher, type LedgerConsumer, type LedgerSubscription } from './ledger-watch.js';
import { DEFAULT_INLINE_LIMIT, Offloader } from './offload.js';
import { Runner, type RunnerOptions } from './runner.js';
import { COMMAND_TYPES, type CommandRecord, type CommandType } from '../model/command.js';
import type { JsonObject, RunState } from '../model/run.js';
import { isPlainObject } from '../model/json.js';
import { isoFromMs, type Clock } from '../model/time.js';
import { ROOT_RUNTIME_ID } from '../model/scope.js';
import type { ToolMode } from '../tools/index.js';

export interface RuntimeOptions {
  store: Store;
  runtimeId?: string;
  workflows: WorkflowSource;
  /** Effect handlers replacing or adding to the defaults (e.g. an LLM provider). */
  effects?: Record<string, EffectHandler>;
  /** Runner settings, or false for an API-only process (split mode). */
  runner?: RunnerOptions | false;
  maxStepsPerTick?: number;
  /** Run budgets (depth, steps, children); defaults in budgets.ts. */
  limits?: Partial<RunLimits>;
  inlineLimitBytes?: number;
  defaults?: { provider?: string; model?: string };
  /** Fallback poll for ledger appends made by other processes. */
  ledgerPollMs?: number;
  /** The gateway tool policy for tool_calls effects (ABSTRACTGATEWAY_TOOL_MODE; default approval). */
  toolMode?: ToolMode;
}

export interface StartRunInput {
  workflow_id: string;
  /** Optional caller-chosen run id; starting twice with the same id fails on the second insert. */
  run_id?: string;
  input_data?: JsonObject;
  session_id?: string | null;
}

export interface CommandInput {
  command_id?: string | null;
  run_id: string;
  type: string;
  payload?: JsonObject;
  ts?: string | null;
  client_id?: string | null;
}

export class Runtime {
  readonly runner: Runner | null;
  private readonly store: RuntimeStore;
  /** The store's clock (the process clock): timers, leases, wake-ups and every timestamp. */
  readonly clock: Clock;
  private readonly watcher: LedgerWatcher;
  private readonly stepContext: StepContext;
  private readonly effects: EffectHandlers;
  /** How tool_calls batches are executed, approved or delegated (reported by /discovery/tools). */
  readonly toolMode: ToolMode;

  constructor(private readonly o: RuntimeOptions) {
    this.store = o.store.scope(o.runtimeId ?? ROOT_RUNTIME_ID);
    this.clock = o.store.clock;
    this.stepContext = { nowMs: () => this.clock.nowMs(), random: Math.random };
    this.toolMode = o.toolMode ?? 'approval';
    const limits = { ...DEFAULT_RUN_LIMITS, ...o.limits };
    this.effects = defaultEffectHandlers({ mode: this.toolMode, artifacts: this.store.artifacts }, o.effects, limits);
    this.watcher = new LedgerWatcher(o.store, this.store, o.ledgerPollMs ?? 1000);
    this.runner =
      o.runner === false
        ? null
        : new Runner(
            o.store,
            this.store,
            {
              workflows: o.workflows,
              effects: this.effects,
              offloader: new Offloader(this.store.artifacts, o.inlineLimitBytes ?? DEFAULT_INLINE_LIMIT),
              stepContext: this.stepContext,
              maxSteps: o.maxStepsPerTick ?? 100,
              limits,
            },
            o.runner,
          );
  }

  start(): this {
    this.runner?.start();
    return this;
  }

  async stop(): Promise<void> {
    await this.runner?.stop();
    this.watcher.close();
  }

  /** Create a run; the runner picks it up. Nothing is written to the ledger at start (spec §1.4). */
  async startRun(input: StartRunInput): Promise<RunState> {
    const workflow = this.o.workflows.getWorkflow(input.workflow_id);
    if (!workflow) throw notFound(`Workflow '${input.workflow_id}' not found`);
    if (input.input_data !== undefined && !isPlainObject(input.input_data)) throw invalid('input_data must be an object');
    const run = newRunState({
      workflow,
      run_id: input.run_id,
      vars: input.input_data ?? {},
      session_id: input.session_id ?? null,
      defaults: this.o.defaults,
      createdAt: isoFromMs(this.clock.nowMs()),
    });
    const listeners = await createListeners(run, this.o.workflows, this.effects, this.stepContext);
    await this.store.tx(async (tx) => {
      await tx.insertRun(run);
      for (const l of listeners) {
        await tx.insertRun(l.run);
        if (l.records.length > 0) await tx.appendLedger(l.run.run_id, l.records);
      }
    });
    return run;
  }

  async getRun(runId: string): Promise<RunState | null> {
    return (await this.store.getRun(runId))?.run ?? null;
  }

  /** The run with the columns the store keeps for it (ledger length, version). */
  getStoredRun(runId: string): Promise<StoredRun | null> {
    return this.store.getRun(runId);
  }

  /** Version and ledger length only: revalidates a cached view of the run. */
  getRunStamp(runId: string): Promise<RunStamp | null> {
    return this.store.getRunStamp(runId);
  }

  listRuns(q: RunListQuery): Promise<StoredRun[]> {
    return this.store.listRuns(q);
  }

  readLedger(runId: string, after = 0, limit = 200): Promise<LedgerPage> {
    return this.store.readLedger(runId, after, limit);
  }

  /** The same page as readLedger, as stored JSON text (for callers that only forward it). */
  readLedgerJson(runId: string, after = 0, limit = 200): Promise<LedgerJsonPage> {
    return this.store.readLedgerJson(runId, after, limit);
  }

  listArtifacts(runId: string): Promise<ArtifactMetadata[]> {
    return this.store.artifacts.listByRun(runId);
  }

  artifactMetadata(artifactId: string): Promise<ArtifactMetadata | null> {
    return this.store.artifacts.getMetadata(artifactId);
  }

  putArtifact(content: Uint8Array, o: Parameters<RuntimeStore['artifacts']['put']>[1]): Promise<ArtifactMetadata> {
    return this.store.artifacts.put(content, o);
  }

  artifact(artifactId: string): Promise<{ metadata: ArtifactMetadata; content: Buffer } | null> {
    return this.store.artifacts.get(artifactId);
  }

  /** Replay from `after`, then follow live appends (push), until the subscription is closed. */
  watchLedger(runId: string, after: number, consumer: LedgerConsumer, onError?: (e: unknown) => void): LedgerSubscription {
    return this.watcher.watch(runId, after, consumer, onError);
  }

  /**
   * Durable, idempotent append to the command inbox, applied later by the runner. The one place
   * commands are validated: the type is case-sensitive, like the reference's API; a blank
   * command_id is not an error (reference quirk kept), it just loses idempotency.
   */
  async submitCommand(c: CommandInput): Promise<SubmitResult> {
    const type = typeof c.type === 'string' ? c.type.trim() : '';
    if (!(COMMAND_TYPES as readonly string[]).includes(type)) throw invalid(`type must be one of ${COMMAND_TYPES.join('|')}`);
    const runId = typeof c.run_id === 'string' ? c.run_id.trim() : '';
    if (!runId) throw invalid('Failed to append command: CommandRecord.run_id must be non-empty');
    if (c.payload !== undefined && c.payload !== null && !isPlainObject(c.payload)) throw invalid('payload must be an object');
    const commandId = typeof c.command_id === 'string' && c.command_id.trim() ? c.command_id.trim() : randomUUID();
    return this.store.submitCommand({
      command_id: commandId,
      run_id: runId,
      type: type as CommandType,
      payload: c.payload ?? {},
      ts: c.ts || isoFromMs(this.clock.nowMs()),
      client_id: c.client_id ?? null,
    });
  }

  getCommand(commandId: string): Promise<CommandRecord | null> {
    return this.store.getCommand(commandId);
  }
}
