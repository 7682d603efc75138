// Environment → one typed, validated Config (spec core-api §8.3). Only what is implemented is
// read; names and defaults follow the reference gateway.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProviderSettings, type ProviderSettings } from './providers.js';
import { loadHostedConfig, type HostedConfig } from './hosted.js';

export type StoreBackend = 'sqlite' | 'postgres';

/** Operator settings for run workspaces (spec core-api §3.2). */
export interface WorkspaceSettings {
  /** ABSTRACTGATEWAY_WORKSPACE_DIR: the operator's workspace root, when set. */
  operatorDir?: string;
  /** Trusted local clients may point runs anywhere (ALLOW/TRUST_CLIENT_WORKSPACE_SCOPE, TOOL_MODE=local). */
  trustClient: boolean;
}

export interface Config {
  /** ABSTRACTGATEWAY_STORE_BACKEND; the composition root opens the matching store. */
  storeBackend: StoreBackend;
  dataDir: string;
  flowsDir: string;
  dbPath?: string;
  runner: boolean;
  /** Fallback poll (ms) for changes made by other processes sharing the store. */
  pollMs: number;
  commandBatchLimit: number;
  tickMaxSteps: number;
  /** Runs ticked concurrently by one runner. */
  tickWorkers: number;
  inlineLimitBytes: number;
  /** How long a runner owns a claimed run before another runner may take it over. */
  leaseMs: number;
  workspace: WorkspaceSettings;
  /** LLM provider connections, defaults, timeouts and URL policy (config/providers.ts). */
  providers: ProviderSettings;
  /** ABSTRACTGATEWAY_TOOL_MODE: how tool_calls batches run (spec runtime-visualflow §3.5.3). */
  toolMode: 'approval' | 'passthrough' | 'delegated' | 'local';
  /** Run budgets (issue 7): a run over one fails with an error naming the setting. */
  runLimits: RunLimitSettings;
  /** Bundle size in graph terms, checked before compiling (issue 7). */
  bundleGraphLimits: BundleGraphSettings;
  /** history_bundle export caps (issue 7): over them the export is truncated and says so. */
  historyLimits: HistoryLimitSettings;
  /** ABSTRACTGATEWAY_DB_MAX_BYTES: cap on the SQLite file (writes beyond fail with 503); unset = none. */
  dbMaxBytes?: number;
  // --- SSE slow consumers (issue 7) ---
  /** ABSTRACTGATEWAY_SSE_STALL_S: an SSE stream whose client reads nothing for this long is closed. */
  sseStallMs: number;
  /** PostgreSQL backend settings (issue 10); set exactly when storeBackend is 'postgres'. */
  postgres?: PostgresSettings;
  /** Hosted mode (issue 9): users registry, one runtime per user, browser sessions. */
  hosted: HostedConfig;
}

export interface PostgresSettings {
  /** ABSTRACTGATEWAY_DATABASE_URL: postgres://user:password@host:port/database. */
  url: string;
  /** ABSTRACTGATEWAY_DATABASE_POOL_SIZE: pooled connections per process (plus one for LISTEN). */
  poolSize: number;
  /** ABSTRACTGATEWAY_DATABASE_ARTIFACT_MAX_BYTES: largest artifact stored in the database. */
  artifactMaxBytes: number;
}

export interface RunLimitSettings {
  /** ABSTRACTGATEWAY_MAX_SUBFLOW_DEPTH: nesting of subflow child runs below a root. */
  maxSubflowDepth: number;
  /** ABSTRACTGATEWAY_RUN_MAX_STEPS: nodes one run may execute without waiting once. */
  maxSteps: number;
  /** ABSTRACTGATEWAY_RUN_MAX_CHILDREN: child runs one run may start. */
  maxChildren: number;
}

export interface BundleGraphSettings {
  /** ABSTRACTGATEWAY_BUNDLE_MAX_NODES: nodes compiled for one bundle. */
  maxNodes: number;
  /** ABSTRACTGATEWAY_BUNDLE_MAX_EDGES: edges compiled for one bundle. */
  maxEdges: number;
}

export interface HistoryLimitSettings {
  /** ABSTRACTGATEWAY_HISTORY_MAX_RUNS: runs of a tree one export includes. */
  maxRuns: number;
  /** ABSTRACTGATEWAY_HISTORY_MAX_RECORDS: ledger records one export includes. */
  maxRecords: number;
}

export class ConfigError extends Error {}

/** Bundles shipped with the package, used when ABSTRACTGATEWAY_FLOWS_DIR is unset. */
export const SHIPPED_BUNDLES_DIR = fileURLToPath(new URL('../../../bundles/', import.meta.url));

type Env = Record<string, string | undefined>;

function first(env: Env, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = env[n]?.trim();
    if (v) return v;
  }
  return undefined;
}

/** Lenient on/off for the workspace trust flags, as in the reference (anything else is off). */
const truthy = (v: string | undefined) => ['1', 'true', 'yes', 'on'].includes((v ?? '').trim().toLowerCase());

export function parseBool(value: string | undefined, dflt: boolean, name = 'value'): boolean {
  if (value === undefined || value.trim() === '') return dflt;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be a boolean (1/0, true/false, yes/no, on/off), got '${value}'`);
}

export function positiveNumber(env: Env, name: string, dflt: number, opts: { integer?: boolean; allowZero?: boolean } = {}): number {
  const raw = env[name]?.trim();
  if (!raw) return dflt;
  const n = Number(raw);
  const ok = Number.isFinite(n) && (opts.allowZero ? n >= 0 : n > 0) && (!opts.integer || Number.isInteger(n));
  if (!ok) throw new ConfigError(`${name} must be a ${opts.integer ? 'positive integer' : 'positive number'}, got '${raw}'`);
  return n;
}

/** ABSTRACTGATEWAY_TOOL_MODE and the reference's aliases for each mode. */
const TOOL_MODES: Record<string, Config['toolMode']> = {
  approval: 'approval',
  passthrough: 'passthrough',
  delegated: 'delegated',
  delegate: 'delegated',
  job: 'delegated',
  local: 'local',
  local_all: 'local',
};

function toolMode(env: Env): Config['toolMode'] {
  const raw = first(env, 'ABSTRACTGATEWAY_TOOL_MODE');
  if (raw === undefined) return 'approval';
  const mode = Object.hasOwn(TOOL_MODES, raw.toLowerCase()) ? TOOL_MODES[raw.toLowerCase()] : undefined;
  if (!mode) throw new ConfigError(`ABSTRACTGATEWAY_TOOL_MODE must be one of ${Object.keys(TOOL_MODES).join('|')}, got '${raw}'`);
  return mode;
}

function postgresSettings(env: Env): PostgresSettings {
  const url = first(env, 'ABSTRACTGATEWAY_DATABASE_URL');
  if (!url) throw new ConfigError('ABSTRACTGATEWAY_STORE_BACKEND=postgres needs ABSTRACTGATEWAY_DATABASE_URL (postgres://user:password@host:port/database)');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('ABSTRACTGATEWAY_DATABASE_URL is not a URL (expected postgres://user:password@host:port/database)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(`ABSTRACTGATEWAY_DATABASE_URL must start with postgres:// or postgresql://, got '${parsed.protocol}//…'`);
  }
  return {
    url,
    poolSize: positiveNumber(env, 'ABSTRACTGATEWAY_DATABASE_POOL_SIZE', 10, { integer: true }),
    artifactMaxBytes: positiveNumber(env, 'ABSTRACTGATEWAY_DATABASE_ARTIFACT_MAX_BYTES', 64 * 1024 * 1024, { integer: true }),
  };
}

export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const dataDir = resolve(first(env, 'ABSTRACTGATEWAY_DATA_DIR', 'ABSTRACTFLOW_RUNTIME_DIR') ?? './runtime');
  const flowsDir = resolve(first(env, 'ABSTRACTGATEWAY_FLOWS_DIR', 'ABSTRACTFRAMEWORK_WORKFLOWS_DIR', 'ABSTRACTFLOW_FLOWS_DIR') ?? SHIPPED_BUNDLES_DIR);
  const dbPath = first(env, 'ABSTRACTGATEWAY_DB_PATH');
  const backend = (first(env, 'ABSTRACTGATEWAY_STORE_BACKEND') ?? 'sqlite').toLowerCase();
  if (backend !== 'sqlite' && backend !== 'postgres') {
    throw new ConfigError(
      `ABSTRACTGATEWAY_STORE_BACKEND='${backend}' is not supported (use sqlite or postgres; the JSON file backend of the reference is replaced by SQLite)`,
    );
  }
  const operatorDir = first(env, 'ABSTRACTGATEWAY_WORKSPACE_DIR');
  const config: Config = {
    storeBackend: backend,
    dataDir,
    flowsDir,
    dbPath: dbPath ? resolve(dbPath) : undefined,
    runner: parseBool(first(env, 'ABSTRACTGATEWAY_RUNNER', 'ABSTRACTFLOW_GATEWAY_RUNNER'), true, 'ABSTRACTGATEWAY_RUNNER'),
    pollMs: Math.round(positiveNumber(env, 'ABSTRACTGATEWAY_POLL_S', 0.25) * 1000),
    commandBatchLimit: positiveNumber(env, 'ABSTRACTGATEWAY_COMMAND_BATCH_LIMIT', 200, { integer: true }),
    tickMaxSteps: positiveNumber(env, 'ABSTRACTGATEWAY_TICK_MAX_STEPS', 100, { integer: true }),
    tickWorkers: positiveNumber(env, 'ABSTRACTGATEWAY_TICK_WORKERS', 64, { integer: true }),
    leaseMs: Math.round(positiveNumber(env, 'ABSTRACTGATEWAY_LEASE_S', 15) * 1000),
    inlineLimitBytes: positiveNumber(env, 'ABSTRACTRUNTIME_MAX_INLINE_BYTES', 262_144, { integer: true, allowZero: true }),
    runLimits: {
      maxSubflowDepth: positiveNumber(env, 'ABSTRACTGATEWAY_MAX_SUBFLOW_DEPTH', 64, { integer: true }),
      maxSteps: positiveNumber(env, 'ABSTRACTGATEWAY_RUN_MAX_STEPS', 1_000_000, { integer: true }),
      maxChildren: positiveNumber(env, 'ABSTRACTGATEWAY_RUN_MAX_CHILDREN', 10_000, { integer: true }),
    },
    bundleGraphLimits: {
      maxNodes: positiveNumber(env, 'ABSTRACTGATEWAY_BUNDLE_MAX_NODES', 20_000, { integer: true }),
      maxEdges: positiveNumber(env, 'ABSTRACTGATEWAY_BUNDLE_MAX_EDGES', 50_000, { integer: true }),
    },
    historyLimits: {
      maxRuns: positiveNumber(env, 'ABSTRACTGATEWAY_HISTORY_MAX_RUNS', 1_000, { integer: true }),
      maxRecords: positiveNumber(env, 'ABSTRACTGATEWAY_HISTORY_MAX_RECORDS', 50_000, { integer: true }),
    },
    workspace: {
      operatorDir: operatorDir ? resolve(operatorDir) : undefined,
      trustClient:
        truthy(env.ABSTRACTGATEWAY_ALLOW_CLIENT_WORKSPACE_SCOPE) ||
        truthy(env.ABSTRACTGATEWAY_TRUST_CLIENT_WORKSPACE_SCOPE) ||
        (env.ABSTRACTGATEWAY_TOOL_MODE ?? '').trim().toLowerCase() === 'local',
    },
    providers: loadProviderSettings(env),
    toolMode: toolMode(env),
    hosted: loadHostedConfig(env, dataDir),
    dbMaxBytes: env.ABSTRACTGATEWAY_DB_MAX_BYTES?.trim() ? positiveNumber(env, 'ABSTRACTGATEWAY_DB_MAX_BYTES', 0, { integer: true }) : undefined,
    sseStallMs: Math.round(positiveNumber(env, 'ABSTRACTGATEWAY_SSE_STALL_S', 30) * 1000),
    postgres: backend === 'postgres' ? postgresSettings(env) : undefined,
  };
  return { ...config, ...overrides };
}
