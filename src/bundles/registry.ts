// The in-memory registry of loaded bundles (spec core-api §2.2–2.3, runtime-visualflow
// §4.1.3): every flow of every bundle is namespaced and compiled at load time, and a bundle
// is registered whole or not at all.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readBundle, type BundleContents, type BundleLimits } from './archive.js';
import { bundleError, type Manifest } from './manifest.js';
import { ReactAgentWorkflow } from '../flow/agent/react.js';
import type { ToolSpecTable } from '../flow/engine/graph.js';
import { DEFAULT_GRAPH_LIMITS, type GraphLimits } from './graph-limits.js';
import { listenerWorkflowId, namespaceBundleFlows, onEventNodeIds, reactWorkflowIds } from './namespace.js';
import type { CompiledWorkflow, VisualFlow, WorkflowSource } from '../flow/types.js';
import {
  compareStrings,
  parseNamespacedId,
  pickLatestVersion,
  resolveStart,
  workflowIdOf,
  type BundleCatalog,
  type StartRef,
} from './versions.js';

export interface BundleRegistryOptions {
  /** The VisualFlow compiler (injected). Throws on an invalid flow. */
  compile: (flow: VisualFlow, opts?: { entryNode?: string; workflowId?: string }) => CompiledWorkflow;
  /** ToolSpecs by name that agents may be offered (their ReAct workflows, spec §6.1.4). */
  toolSpecs?: ToolSpecTable;
  limits?: Partial<BundleLimits>;
  /** Node and edge counts a bundle may compile; defaults in graph-limits.ts. */
  graphLimits?: GraphLimits;
}

export interface LoadedBundle {
  bundle_id: string;
  bundle_version: string;
  /** `<bundle_id>@<bundle_version>` */
  bundle_ref: string;
  manifest: Manifest;
  /** flow_id → VisualFlow exactly as stored in the bundle (not namespaced). */
  flows: Record<string, VisualFlow>;
  assets: Record<string, Buffer>;
  /** flow_id → compiled workflow; its `flow` is the namespaced document. */
  workflows: Record<string, CompiledWorkflow>;
  /** Derived workflows by workflow id: one event listener per `on_event` node. */
  derived: Record<string, CompiledWorkflow>;
  /** The file or directory it was read from; `<bytes>` when added from memory. */
  source: string;
}

export interface BundleLoadFailure {
  source: string;
  error: string;
}

export interface DirectoryLoadResult {
  /** Bundle refs loaded, in load order. */
  loaded: string[];
  /** Files skipped: unreadable, invalid, failed to compile, or a duplicate id@version. */
  errors: BundleLoadFailure[];
}

export class BundleRegistry implements WorkflowSource, BundleCatalog {
  /** bundle_id → bundle_version → bundle */
  private readonly bundles = new Map<string, Map<string, LoadedBundle>>();
  /** workflow id → compiled workflow, over all loaded bundles */
  private readonly workflows = new Map<string, CompiledWorkflow>();

  constructor(private readonly options: BundleRegistryOptions) {}

  /**
   * Load every `*.flow` of `dir` (not recursive) in filename order. The first file of an
   * `id@version` wins; a bad file is skipped and reported, never aborting the others.
   * For a reload, fill a fresh registry and swap it in (the switch is then atomic).
   */
  async loadDirectory(dir: string): Promise<DirectoryLoadResult> {
    const names = await readdir(dir).catch((err: Error) => {
      throw bundleError(`Cannot read bundle directory '${dir}': ${err.message}`);
    });
    const result: DirectoryLoadResult = { loaded: [], errors: [] };
    for (const name of names.filter((n) => n.endsWith('.flow')).sort()) {
      const source = join(dir, name);
      try {
        result.loaded.push((await this.addBundle(source)).bundle_ref);
      } catch (err) {
        result.errors.push({ source, error: (err as Error).message });
      }
    }
    return result;
  }

  /** Read, namespace, compile and register one bundle (zip bytes, `.flow` path or directory). */
  async addBundle(source: Buffer | string): Promise<LoadedBundle> {
    const contents = await readBundle(source, this.options.limits, this.options.graphLimits ?? DEFAULT_GRAPH_LIMITS);
    return this.register(contents, typeof source === 'string' ? source : '<bytes>');
  }

  private register({ manifest, flows, assets }: BundleContents, source: string): LoadedBundle {
    const { bundle_id: id, bundle_version: version } = manifest;
    const ref = `${id}@${version}`;
    const existing = this.getBundle(id, version);
    if (existing) throw bundleError(`Bundle '${ref}' is already loaded (from ${existing.source})`);

    // Compile everything before touching the registry: a failure leaves no trace.
    const namespaced = namespaceBundleFlows(id, version, flows);
    const compileOrReject = (flowId: string, flow: VisualFlow, opts?: { entryNode: string; workflowId: string }) => {
      try {
        return this.options.compile(flow, opts);
      } catch (err) {
        throw bundleError(`Bundle '${ref}' rejected: flow '${flowId}' failed to compile: ${(err as Error).message}`);
      }
    };
    const workflows: Record<string, CompiledWorkflow> = {};
    const derived: Record<string, CompiledWorkflow> = {};
    for (const [flowId, flow] of Object.entries(namespaced)) {
      workflows[flowId] = compileOrReject(flowId, flow);
      for (const nodeId of onEventNodeIds(flow)) {
        const workflowId = listenerWorkflowId(flow.id, nodeId);
        derived[workflowId] = compileOrReject(flowId, flow, { entryNode: nodeId, workflowId });
      }
      for (const workflowId of reactWorkflowIds(flow)) derived[workflowId] = new ReactAgentWorkflow(workflowId, this.options.toolSpecs ?? null);
    }

    const bundle: LoadedBundle = { bundle_id: id, bundle_version: version, bundle_ref: ref, manifest, flows, assets, workflows, derived, source };
    let versions = this.bundles.get(id);
    if (!versions) this.bundles.set(id, (versions = new Map()));
    versions.set(version, bundle);
    for (const [flowId, workflow] of Object.entries(workflows)) this.workflows.set(workflowIdOf(id, version, flowId), workflow);
    for (const [workflowId, workflow] of Object.entries(derived)) this.workflows.set(workflowId, workflow);
    return bundle;
  }

  getWorkflow(workflowId: string): CompiledWorkflow | undefined {
    const found = this.workflows.get(workflowId);
    if (found) return found;
    // Old runs stored `bundle:flow` without a version: map it to the latest version.
    const ns = parseNamespacedId(workflowId);
    if (!ns?.bundleId || ns.version) return undefined;
    const latest = this.latestVersion(ns.bundleId);
    return latest === undefined ? undefined : this.workflows.get(workflowIdOf(ns.bundleId, latest, ns.flowId));
  }

  /** Every loaded bundle version, sorted by bundle_id then bundle_version. */
  listBundles(): LoadedBundle[] {
    return [...this.bundles.values()]
      .flatMap((versions) => [...versions.values()])
      .sort((a, b) => compareStrings(a.bundle_id, b.bundle_id) || compareStrings(a.bundle_version, b.bundle_version));
  }

  /** One version of a bundle; the latest one when `version` is omitted. */
  getBundle(bundleId: string, version?: string): LoadedBundle | undefined {
    const selected = version ?? this.latestVersion(bundleId);
    return selected === undefined ? undefined : this.bundles.get(bundleId)?.get(selected);
  }

  /** See pickLatestVersion; `preferPublished: false` gives the latest of all versions. */
  latestVersion(bundleId: string, opts?: { preferPublished?: boolean }): string | undefined {
    const versions = this.bundles.get(bundleId);
    if (!versions) return undefined;
    return pickLatestVersion([...versions.values()].map((b) => ({ version: b.bundle_version, created_at: b.manifest.created_at })), opts);
  }

  manifest(bundleId: string, version: string): Manifest | undefined {
    return this.bundles.get(bundleId)?.get(version)?.manifest;
  }

  /** The bundle used when a start request names none: defined only if exactly one bundle id is loaded. */
  defaultBundleId(): string | undefined {
    return this.bundles.size === 1 ? [...this.bundles.keys()][0] : undefined;
  }

  /** Workflow id for a start request; throws ResolveError (see versions.ts resolveStart). */
  resolveStart(req: StartRef): string {
    return resolveStart(this, req);
  }

  /** Unregister one version, or every version when `version` is omitted. Returns how many. */
  removeBundle(bundleId: string, version?: string): number {
    const versions = this.bundles.get(bundleId);
    if (!versions) return 0;
    const doomed = version === undefined ? [...versions.values()] : [versions.get(version)].filter((b) => b !== undefined);
    for (const bundle of doomed) {
      for (const flowId of Object.keys(bundle.workflows)) this.workflows.delete(workflowIdOf(bundleId, bundle.bundle_version, flowId));
      for (const workflowId of Object.keys(bundle.derived)) this.workflows.delete(workflowId);
      versions.delete(bundle.bundle_version);
    }
    if (versions.size === 0) this.bundles.delete(bundleId);
    return doomed.length;
  }
}
