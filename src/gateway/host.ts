// Assembles one gateway data plane from a Config: store, bundle registry, runtime and the
// plane's bundle bookkeeping. Bundle reloads build a fresh registry and swap it in whole.

import { mkdirSync } from 'node:fs';
import type { Config } from '../config/config.js';
import { compileFlow } from '../flow/compiler.js';
import { BundleRegistry, type DirectoryLoadResult } from '../bundles/registry.js';
import type { CompiledWorkflow, WorkflowSource } from '../flow/types.js';
import { Runtime } from '../runtime/runtime.js';
import type { EffectHandler } from '../runtime/effects/index.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite/store.js';
import { Deprecations } from './deprecations.js';

/** Don't rescan the bundle dir more often than this when runs name unknown workflows. */
const LAZY_RELOAD_INTERVAL_MS = 1000;

export class Host implements WorkflowSource {
  readonly store: SqliteStore;
  readonly runtime: Runtime;
  readonly deprecations: Deprecations;
  private current: BundleRegistry;
  private lastLoad: DirectoryLoadResult = { loaded: [], errors: [] };
  private lastLoadAt = 0;

  private constructor(
    readonly config: Config,
    opts: { effects?: Record<string, EffectHandler> },
  ) {
    mkdirSync(config.dataDir, { recursive: true });
    mkdirSync(config.flowsDir, { recursive: true });
    this.store = openSqliteStore({ dataDir: config.dataDir, dbPath: config.dbPath });
    this.current = new BundleRegistry({ compile: compileFlow });
    this.deprecations = new Deprecations(config.dataDir);
    this.runtime = new Runtime({
      store: this.store,
      workflows: this,
      effects: opts.effects,
      runner: config.runner
        ? { concurrency: config.tickWorkers, pollMs: config.pollMs, commandBatch: config.commandBatchLimit, leaseMs: config.leaseMs }
        : false,
      maxStepsPerTick: config.tickMaxSteps,
      inlineLimitBytes: config.inlineLimitBytes,
      ledgerPollMs: config.pollMs,
    });
  }

  static async open(config: Config, opts: { effects?: Record<string, EffectHandler> } = {}): Promise<Host> {
    const host = new Host(config, opts);
    await host.reloadBundles();
    return host;
  }

  /** The registry in use; replaced as a whole by reloadBundles(). */
  get registry(): BundleRegistry {
    return this.current;
  }

  /** Result of the last directory load (skipped bundles and why). */
  get bundles(): DirectoryLoadResult {
    return this.lastLoad;
  }

  /** Rebuild the registry from the bundle directory, then swap it in atomically. */
  async reloadBundles(): Promise<DirectoryLoadResult> {
    const fresh = new BundleRegistry({ compile: compileFlow });
    const result = await fresh.loadDirectory(this.config.flowsDir);
    this.current = fresh;
    this.lastLoad = result;
    this.lastLoadAt = Date.now();
    return result;
  }

  getWorkflow(workflowId: string): CompiledWorkflow | undefined {
    return this.current.getWorkflow(workflowId);
  }

  /** A run names a workflow we don't know: another process may have installed it. */
  async reload(): Promise<void> {
    if (Date.now() - this.lastLoadAt >= LAZY_RELOAD_INTERVAL_MS) await this.reloadBundles();
  }

  async close(): Promise<void> {
    await this.runtime.stop();
    await this.store.close();
  }
}

export const openHost = (config: Config, opts?: { effects?: Record<string, EffectHandler> }) => Host.open(config, opts);
