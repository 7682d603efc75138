// The composition root: builds a gateway process from its Config — the store backend (through
// the factory), the notifier its hints travel on, the provider registry, the clock — and the
// data plane of each runtime scope (runtime + bundle catalog + workspace policy). Nothing
// else in src/ chooses a backend or constructs a Runtime for serving.

import type { Config } from '../config/config.js';
import { BundleCatalog } from '../bundles/catalog.js';
import type { DataPlane, Planes } from '../gateway/plane.js';
import { workspacePolicy } from '../gateway/run-input.js';
import { ROOT_RUNTIME_ID } from '../model/scope.js';
import { systemClock, type Clock } from '../model/time.js';
import { ProviderRegistry } from '../providers/registry.js';
import type { EffectHandler } from '../runtime/effects/types.js';
import { llmCallHandler } from '../runtime/effects/llm-call.js';
import { LiveProgress } from '../runtime/live.js';
import { Runtime } from '../runtime/runtime.js';
import type { Store } from '../store/types.js';
import type { StoreHealth } from '../store/write-health.js';
import { openStore } from './store-factory.js';
import { HostedPlanes } from './hosted.js';
import type { GatewayPrincipal } from '../model/principal.js';
import { join } from 'node:path';

export interface GatewayOptions {
  /** Effect handlers replacing or adding to the defaults (embedders, tests at the network boundary). */
  effects?: Record<string, EffectHandler>;
  clock?: Clock;
  /** A provider registry instead of the one built from config.providers (embedders, tests). */
  providers?: ProviderRegistry;
  /** Where the store and the runner report failure streaks (full disk, read-only data dir); default: stderr. */
  report?: (message: string) => void;
}

export class Gateway implements Planes {
  /** Hosted mode: the users registry, sessions and one plane per user runtime; null in local mode. */
  readonly hosted: HostedPlanes | null;

  private constructor(
    readonly config: Config,
    readonly store: Store,
    /** Local mode's only data plane; in hosted mode the bootstrap admin's. */
    readonly root: DataPlane,
    /** LLM providers from the environment (config/providers.ts); effects and discovery ask it. */
    readonly providers: ProviderRegistry,
    opts: GatewayOptions,
  ) {
    this.hosted = config.hosted.userAuth
      ? new HostedPlanes(config, store, root, async ({ key, dir }) => {
          const plane = await openPlane(config, store, key, providers, opts, { flowsDir: join(dir, 'flows'), dataDir: join(dir, 'runtime') });
          if (config.runner) plane.runtime.start();
          return plane;
        })
      : null;
  }

  /** Open the store and the root data plane (its bundles loaded); in hosted mode import a reference users.json. */
  static async open(config: Config, opts: GatewayOptions = {}): Promise<Gateway> {
    const store = await openStore(config, opts.clock ?? systemClock, opts.report);
    try {
      const providers = opts.providers ?? ProviderRegistry.fromSettings(config.providers);
      const gateway = new Gateway(config, store, await openPlane(config, store, ROOT_RUNTIME_ID, providers, opts), providers, opts);
      await gateway.hosted?.importReferenceUsers();
      return gateway;
    } catch (err) {
      await store.close();
      await store.notifier.close();
      throw err;
    }
  }

  get dataDir(): string {
    return this.config.dataDir;
  }

  storeHealth(): Promise<StoreHealth> {
    return this.store.writeHealth();
  }

  planeFor(principal: GatewayPrincipal | null): DataPlane | Promise<DataPlane> {
    return this.hosted ? this.hosted.planeFor(principal) : this.root;
  }

  /** Start the runner (unless runner=false). */
  start(): this {
    this.root.runtime.start();
    return this;
  }

  /** Stop the runner (it finishes its step in flight and releases leases), then the store. */
  async close(): Promise<void> {
    await this.hosted?.close();
    await this.root.runtime.stop();
    await this.store.close();
    await this.store.notifier.close();
  }
}

/**
 * One runtime scope's runtime, bundle catalog, workspace policy and live progress channel. A user
 * runtime (`at`) has its own flows and data dirs, and its runs' workspaces stay inside them: the
 * operator's workspace root and client-chosen paths are for the root plane only.
 */
async function openPlane(
  c: Config,
  store: Store,
  runtimeId: string,
  providers: ProviderRegistry,
  opts: GatewayOptions,
  at?: { flowsDir: string; dataDir: string },
): Promise<DataPlane> {
  const catalog = await BundleCatalog.open({ flowsDir: at?.flowsDir ?? c.flowsDir, dataDir: at?.dataDir ?? c.dataDir, graphLimits: c.bundleGraphLimits }, store.clock);
  const live = new LiveProgress();
  // Generated media is stored in this scope's artifact store (the same one the runtime reads).
  const artifacts = store.scope(runtimeId).artifacts;
  const llm = llmCallHandler({ providers, dataDir: c.dataDir, onDelta: (d) => live.publish(d), putArtifact: (content, o) => artifacts.put(content, o) });
  const runtime = new Runtime({
    store,
    runtimeId,
    workflows: catalog,
    effects: { llm_call: llm, ...opts.effects },
    runner: c.runner ? { concurrency: c.tickWorkers, pollMs: c.pollMs, commandBatch: c.commandBatchLimit, leaseMs: c.leaseMs, log: opts.report } : false,
    maxStepsPerTick: c.tickMaxSteps,
    limits: c.runLimits,
    inlineLimitBytes: c.inlineLimitBytes,
    ledgerPollMs: c.pollMs,
    toolMode: c.toolMode,
  });
  const workspace = at ? workspacePolicy(at.dataDir, { trustClient: false }) : workspacePolicy(c.dataDir, c.workspace);
  return { runtimeId, runtime, catalog, workspace, historyLimits: c.historyLimits, live };
}
