// The composition root: builds a gateway process from its Config — the store backend (through
// the factory), the notifier its hints travel on, the provider registry, the clock — and hands
// out one data plane per runtime scope (runtime + bundle catalog + workspace policy). Nothing
// else in src/ chooses a backend or constructs a Runtime for serving.

import type { Config } from '../config/config.js';
import { BundleCatalog } from '../bundles/catalog.js';
import type { DataPlane, Planes } from '../gateway/plane.js';
import { workspacePolicy } from '../gateway/run-input.js';
import { ROOT_RUNTIME_ID } from '../model/scope.js';
import { systemClock, type Clock } from '../model/time.js';
import { ProviderRegistry } from '../providers/registry.js';
import type { EffectHandler } from '../runtime/effects/types.js';
import { Runtime } from '../runtime/runtime.js';
import type { Store } from '../store/types.js';
import { openStore } from './store-factory.js';

export interface GatewayOptions {
  /** Effect handlers replacing or adding to the defaults (embedders, tests at the network boundary). */
  effects?: Record<string, EffectHandler>;
  clock?: Clock;
}

export class Gateway implements Planes {
  readonly providers = new ProviderRegistry();
  private readonly planes = new Map<string, DataPlane>();
  private started = false;

  private constructor(
    readonly config: Config,
    readonly store: Store,
    private readonly opts: GatewayOptions,
  ) {}

  /** The process clock, shared by the store and every runtime. */
  get clock(): Clock {
    return this.store.clock;
  }

  /** Open the store and the root data plane (its bundles loaded). */
  static async open(config: Config, opts: GatewayOptions = {}): Promise<Gateway> {
    const gateway = new Gateway(config, await openStore(config, opts.clock ?? systemClock), opts);
    try {
      await gateway.openPlane(ROOT_RUNTIME_ID);
    } catch (err) {
      await gateway.store.close();
      throw err;
    }
    return gateway;
  }

  get dataDir(): string {
    return this.config.dataDir;
  }

  get root(): DataPlane {
    return this.planes.get(ROOT_RUNTIME_ID)!;
  }

  async plane(runtimeId: string): Promise<DataPlane> {
    return this.planes.get(runtimeId) ?? this.openPlane(runtimeId);
  }

  /** Start the runners of every open plane (and of planes opened later), unless runner=false. */
  start(): this {
    this.started = true;
    for (const p of this.planes.values()) p.runtime.start();
    return this;
  }

  /** Stop runners (each finishes its step in flight and releases leases), then the store. */
  async close(): Promise<void> {
    for (const p of this.planes.values()) await p.runtime.stop();
    await this.store.close();
  }

  private async openPlane(runtimeId: string): Promise<DataPlane> {
    const c = this.config;
    // Only the root plane exists until hosted mode maps users to scopes of their own.
    if (runtimeId !== ROOT_RUNTIME_ID) throw new Error(`runtime scope '${runtimeId}' is not available in local mode`);
    const catalog = await BundleCatalog.open({ flowsDir: c.flowsDir, dataDir: c.dataDir }, this.clock);
    const existing = this.planes.get(runtimeId);
    if (existing) return existing; // opened concurrently
    const runtime = new Runtime({
      store: this.store,
      runtimeId,
      workflows: catalog,
      effects: this.opts.effects,
      runner: c.runner ? { concurrency: c.tickWorkers, pollMs: c.pollMs, commandBatch: c.commandBatchLimit, leaseMs: c.leaseMs } : false,
      maxStepsPerTick: c.tickMaxSteps,
      inlineLimitBytes: c.inlineLimitBytes,
      ledgerPollMs: c.pollMs,
    });
    const plane: DataPlane = { runtimeId, runtime, catalog, workspace: workspacePolicy(c.dataDir, c.workspace) };
    this.planes.set(runtimeId, plane);
    if (this.started) runtime.start();
    return plane;
  }
}
