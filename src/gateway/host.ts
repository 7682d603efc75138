// Assembles one gateway data plane from a Config: store, bundle registry and runtime.

import { mkdirSync } from 'node:fs';
import type { Config } from '../config/config.js';
import { compileFlow } from '../flow/compiler.js';
import { BundleRegistry, type DirectoryLoadResult } from '../flow/registry.js';
import { Runtime } from '../runtime/runtime.js';
import type { EffectHandler } from '../runtime/effects/index.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite/store.js';

export interface Host {
  config: Config;
  store: SqliteStore;
  registry: BundleRegistry;
  runtime: Runtime;
  bundles: DirectoryLoadResult;
  close(): Promise<void>;
}

export async function openHost(config: Config, opts: { effects?: Record<string, EffectHandler> } = {}): Promise<Host> {
  mkdirSync(config.dataDir, { recursive: true });
  mkdirSync(config.flowsDir, { recursive: true });
  const store = openSqliteStore({ dataDir: config.dataDir, dbPath: config.dbPath });
  const registry = new BundleRegistry({ compile: compileFlow });
  const bundles = await registry.loadDirectory(config.flowsDir);
  const runtime = new Runtime({
    store,
    workflows: registry,
    effects: opts.effects,
    runner: config.runner
      ? { concurrency: config.tickWorkers, pollMs: config.pollMs, commandBatch: config.commandBatchLimit, leaseMs: config.leaseMs }
      : false,
    maxStepsPerTick: config.tickMaxSteps,
    inlineLimitBytes: config.inlineLimitBytes,
    ledgerPollMs: config.pollMs,
  });
  return {
    config,
    store,
    registry,
    runtime,
    bundles,
    async close() {
      await runtime.stop();
      await store.close();
    },
  };
}
