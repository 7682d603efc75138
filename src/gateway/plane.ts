// One runtime scope's data plane: its runtime (runs, ledgers, commands, artifacts; the store
// stays inside), its bundle catalog and its workspace policy. The gateway's service functions
// (runs, commands, ledger, artifacts, bundles) all take the plane of the request's scope, so a
// caller can only ever reach the data of that scope. The composition root builds one per scope.

import type { BundleCatalog } from '../bundles/catalog.js';
import type { Config } from '../config/config.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { LiveProgress } from '../runtime/live.js';
import type { StoreHealth } from '../store/write-health.js';
import type { Runtime } from '../runtime/runtime.js';
import type { WorkspacePolicy } from './run-input.js';
import type { HistoryLimits } from './history-bundle.js';

export interface DataPlane {
  readonly runtimeId: string;
  readonly runtime: Runtime;
  readonly catalog: BundleCatalog;
  readonly workspace: WorkspacePolicy;
  /** Non-durable progress (streamed LLM text) for this scope's ledger streams. */
  readonly live: LiveProgress;
  /** Caps of one history_bundle export. */
  readonly historyLimits: HistoryLimits;
}

/** What the HTTP layer needs from the composition root: the planes and process-wide registries. */
export interface Planes {
  /** The root data dir (auth token file, audit log). */
  readonly dataDir: string;
  /** The root data plane: local mode serves every request from it. */
  readonly root: DataPlane;
  readonly providers: ProviderRegistry;
  /** Whether the store can be written (/api/health). */
  storeHealth(): Promise<StoreHealth>;
  /** The process configuration (HTTP reads its stream settings from it). */
  readonly config: Config;
}
