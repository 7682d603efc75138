// One runtime scope's bundle catalog: the `.flow` files of its flows dir loaded into a registry
// of compiled workflows, plus its workflow deprecations. Reloads build a fresh registry and swap
// it in whole, so a run never sees a half-loaded catalog.

import { mkdirSync } from 'node:fs';
import type { Clock } from '../model/time.js';
import { compileFlow } from '../flow/compiler.js';
import { DEFAULT_TOOL_SPECS } from '../tools/index.js';
import type { CompiledWorkflow, VisualFlow, WorkflowSource } from '../flow/types.js';
import { Deprecations } from './deprecations.js';
import { BundleRegistry, type DirectoryLoadResult } from './registry.js';
import { DEFAULT_GRAPH_LIMITS, type GraphLimits } from './graph-limits.js';

/** The built-in tools by name: what `llm_call` tool lists and agents' allowlists resolve to. */
const TOOL_SPECS = Object.fromEntries(DEFAULT_TOOL_SPECS.map((spec) => [spec.name, { ...spec }]));
const REGISTRY_OPTIONS = { compile: (flow: VisualFlow, opts?: { entryNode?: string; workflowId?: string }) => compileFlow(flow, { ...opts, toolSpecs: TOOL_SPECS }), toolSpecs: TOOL_SPECS };

/** Don't rescan the bundle dir more often than this when runs name unknown workflows. */
const LAZY_RELOAD_INTERVAL_MS = 1000;

export interface CatalogLocation {
  /** Where this scope's `.flow` files live. */
  flowsDir: string;
  /** This scope's data dir (deprecations file, dynamic flows). */
  dataDir: string;
  /** Node and edge counts one bundle may compile (uploads and the flows dir alike). */
  graphLimits?: GraphLimits;
}

export class BundleCatalog implements WorkflowSource {
  readonly flowsDir: string;
  readonly dataDir: string;
  readonly deprecations: Deprecations;
  readonly graphLimits: GraphLimits;
  private current: BundleRegistry;
  private lastLoad: DirectoryLoadResult = { loaded: [], errors: [] };
  private lastLoadAt = -Infinity;

  private constructor(
    at: CatalogLocation,
    private readonly clock: Clock,
  ) {
    this.flowsDir = at.flowsDir;
    this.dataDir = at.dataDir;
    this.graphLimits = at.graphLimits ?? DEFAULT_GRAPH_LIMITS;
    this.current = this.emptyRegistry();
    mkdirSync(at.dataDir, { recursive: true });
    mkdirSync(at.flowsDir, { recursive: true });
    this.deprecations = new Deprecations(at.dataDir, clock);
  }

  static async open(at: CatalogLocation, clock: Clock): Promise<BundleCatalog> {
    const catalog = new BundleCatalog(at, clock);
    await catalog.reloadBundles();
    return catalog;
  }

  /** A registry compiling under this catalog's limits (also used to validate uploads). */
  emptyRegistry(): BundleRegistry {
    return new BundleRegistry({ ...REGISTRY_OPTIONS, graphLimits: this.graphLimits });
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
    const fresh = this.emptyRegistry();
    const result = await fresh.loadDirectory(this.flowsDir);
    this.current = fresh;
    this.lastLoad = result;
    this.lastLoadAt = this.clock.nowMs();
    return result;
  }

  getWorkflow(workflowId: string): CompiledWorkflow | undefined {
    return this.current.getWorkflow(workflowId);
  }

  /** A run names a workflow we don't know: another process may have installed it. */
  async reload(): Promise<void> {
    if (this.clock.nowMs() - this.lastLoadAt >= LAZY_RELOAD_INTERVAL_MS) await this.reloadBundles();
  }
}
