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
import type { HostedConfig } from '../config/hosted.js';
import type { GatewayPrincipal } from '../model/principal.js';
import type { UsersRegistry } from './users.js';
import type { SessionService } from './sessions.js';

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
  /** Hosted mode's registry and sessions; null in local mode. */
  readonly hosted: HostedServices | null;
  /** The caller's data plane: the root in local mode, the principal's own runtime in hosted mode. */
  planeFor(principal: GatewayPrincipal | null): DataPlane | Promise<DataPlane>;
}

export interface HostedServices {
  readonly config: HostedConfig;
  readonly users: UsersRegistry;
  readonly sessions: SessionService;
  /** Creates default/admin with this token when missing (spec §3.5); whether it was created. */
  bootstrapAdmin(token: string): Promise<boolean>;
  /** Where a user runtime's files live: <data>/users/<tenant>/<runtime>. */
  runtimeDir(tenantId: string, runtimeId: string): string;
  /** Deletes a runtime's data: its store scope and its directory. */
  purgeRuntime(tenantId: string, runtimeId: string): Promise<{ deletedData: boolean; dataPath: string }>;
  /** Stops and forgets the cached plane of a runtime (transfer, purge, disable, delete). */
  invalidate(tenantId: string, runtimeId: string): Promise<void>;
}
