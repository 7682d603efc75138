// The bundle service behind the /bundles and /workflows/{id}/flow routes (spec core-api §2.4):
// projections of the loaded registry for clients, install/remove of bundle files followed by a
// reload, and workflow deprecations.

import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { GatewayError, internal, notFound } from '../errors.js';
import type { Entrypoint } from '../bundles/manifest.js';
import type { LoadedBundle } from '../bundles/registry.js';
import {
  compareStrings,
  isDraftVersion,
  parseNamespacedId,
  pickLatestVersion,
  resolveBundle,
  resolveFlow,
  workflowIdOf,
} from '../bundles/versions.js';
import { isPlainObject } from '../model/json.js';
import { installBundleFile, removeBundleFiles } from './bundle-files.js';
import { WILDCARD } from '../bundles/deprecations.js';
import { entrypointInputs, flowInputSchema, nodeIndex, type EntrypointPin, type NodeIndexEntry } from './flow-inputs.js';
import type { DataPlane } from './plane.js';
import { storageFault } from '../store/faults.js';

// ---------------------------------------------------------------------------------------
// Read views

interface DeprecationFields {
  deprecated: boolean;
  deprecated_at: string | null;
  deprecated_reason: string | null;
}

function deprecationOf(plane: DataPlane, bundleId: string, flowId: string): DeprecationFields {
  const rec = plane.catalog.deprecations.get(bundleId, flowId);
  return { deprecated: rec !== undefined, deprecated_at: rec?.deprecated_at?.trim() || null, deprecated_reason: rec?.reason?.trim() || null };
}

const entrypointSummary = (ep: Entrypoint) => ({ flow_id: ep.flow_id, name: ep.name, description: ep.description, interfaces: [...ep.interfaces] });

const identity = (b: LoadedBundle) => ({ bundle_id: b.bundle_id, bundle_version: b.bundle_version, bundle_ref: b.bundle_ref });

export interface ListQuery {
  all_versions: boolean;
  include_drafts: boolean;
  include_deprecated: boolean;
}

/** `GET /bundles`: per bundle id the selected versions, with their visible entrypoints. */
export function listBundles(plane: DataPlane, q: ListQuery) {
  const byId = new Map<string, LoadedBundle[]>();
  for (const b of plane.catalog.registry.listBundles()) byId.set(b.bundle_id, [...(byId.get(b.bundle_id) ?? []), b]);

  const items = [];
  for (const [bundleId, versions] of byId) {
    const infos = versions.map((b) => ({ version: b.bundle_version, created_at: b.manifest.created_at }));
    const latestAny = pickLatestVersion(infos, { preferPublished: false }) ?? null;
    const latestPublished = pickLatestVersion(infos.filter((v) => !isDraftVersion(v.version))) ?? null;
    const wanted = latestPublished ?? (q.include_drafts ? latestAny : null);
    const selected = q.all_versions ? versions : versions.filter((b) => b.bundle_version === wanted);
    for (const b of selected) {
      if (!q.include_drafts && isDraftVersion(b.bundle_version)) continue;
      const entrypoints = b.manifest.entrypoints
        .map((ep) => ({ ...entrypointSummary(ep), workflow_id: workflowIdOf(bundleId, b.bundle_version, ep.flow_id), ...deprecationOf(plane, bundleId, ep.flow_id) }))
        .filter((ep) => q.include_deprecated || !ep.deprecated);
      if (entrypoints.length === 0) continue;
      const channel = isDraftVersion(b.bundle_version) ? 'draft' : 'published';
      items.push({
        ...identity(b),
        registry_scope: 'private',
        version_channel: channel,
        is_draft: channel === 'draft',
        is_published: channel === 'published',
        latest_published_version: latestPublished,
        latest_any_version: latestAny,
        created_at: b.manifest.created_at,
        metadata: b.manifest.metadata,
        default_entrypoint: b.manifest.default_entrypoint,
        entrypoints,
        actions: {
          can_run: true,
          can_upload: true,
          can_remove: true,
          can_deprecate: true,
          catalog_promote_endpoint: '/api/gateway/admin/workflow-catalog/promote',
        },
      });
    }
  }
  let defaultBundleId = plane.catalog.registry.defaultBundleId() ?? null;
  // Like the reference: a hidden default is only reported when deprecated items are asked for.
  if (!q.include_deprecated && defaultBundleId !== null && !items.some((i) => i.bundle_id === defaultBundleId)) defaultBundleId = null;
  return { items, default_bundle_id: defaultBundleId };
}

export interface BundleDetailEntrypoint extends DeprecationFields {
  flow_id: string;
  workflow_id: string;
  name: string | null;
  description: string;
  interfaces: string[];
  inputs: EntrypointPin[];
  node_index: Record<string, NodeIndexEntry>;
}

const loaded = (plane: DataPlane, bundleId: string, version: string): LoadedBundle => plane.catalog.registry.getBundle(bundleId, version)!;

/** `GET /bundles/{bundle_id}`: one version (latest by default) with per-entrypoint inputs and node index. */
export function bundleDetail(plane: DataPlane, bundleId: string, bundleVersion?: string) {
  const m = resolveBundle(plane.catalog.registry, bundleId, bundleVersion);
  const b = loaded(plane, m.bundle_id, m.bundle_version);
  const entrypoints: BundleDetailEntrypoint[] = m.entrypoints.map((ep) => ({
    ...entrypointSummary(ep),
    workflow_id: workflowIdOf(m.bundle_id, m.bundle_version, ep.flow_id),
    inputs: entrypointInputs(b.flows[ep.flow_id]),
    node_index: nodeIndex(b.flows[ep.flow_id]),
    ...deprecationOf(plane, m.bundle_id, ep.flow_id),
  }));
  return {
    ...identity(b),
    created_at: m.created_at,
    default_entrypoint: m.default_entrypoint,
    entrypoints,
    flows: Object.keys(m.flows).sort(compareStrings),
    metadata: m.metadata,
  };
}

export interface FlowRef {
  bundle_id: string;
  flow_id: string;
  bundle_version?: string;
}

/** `GET /bundles/{bundle_id}/flows/{flow_id}`: the flow exactly as stored in the bundle (not namespaced). */
export function bundleFlow(plane: DataPlane, ref: FlowRef) {
  const { manifest, flowId, workflowId } = resolveFlow(plane.catalog.registry, ref);
  const b = loaded(plane, manifest.bundle_id, manifest.bundle_version);
  return { ...identity(b), flow_id: flowId, workflow_id: workflowId, flow: b.flows[flowId]! };
}

/** `GET /bundles/{bundle_id}/flows/{flow_id}/input_schema`. */
export function bundleFlowInputSchema(plane: DataPlane, ref: FlowRef) {
  const { flow, ...ids } = bundleFlow(plane, ref);
  return { ...ids, ...flowInputSchema(flow) };
}

/** `<DATA_DIR>/dynamic_flows/<id>.json`: each run of chars outside [A-Za-z0-9._-] becomes '_'. */
export function dynamicFlowPath(dataDir: string, workflowId: string): string {
  let name = workflowId.trim().replace(/[^A-Za-z0-9._-]+/g, '_');
  if (!name || name === '.' || name === '..') name = 'workflow';
  return join(dataDir, 'dynamic_flows', `${name}.json`);
}

/** `GET /workflows/{workflow_id}/flow`: a gateway-generated dynamic flow, else a bundle flow. */
export async function workflowFlow(plane: DataPlane, workflowId: string) {
  const wid = workflowId.trim();
  let text: string | undefined;
  try {
    text = await readFile(dynamicFlowPath(plane.catalog.dataDir, wid), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw internal(`Failed to read dynamic flow: ${(err as Error).message}`);
  }
  if (text !== undefined) {
    let flow: unknown;
    try {
      flow = JSON.parse(text);
    } catch (err) {
      throw internal(`Failed to read dynamic flow: ${(err as Error).message}`);
    }
    if (!isPlainObject(flow)) throw internal('Dynamic flow JSON is invalid');
    return { workflow_id: wid, flow, source: 'dynamic' as const };
  }
  const ns = parseNamespacedId(wid);
  if (ns?.bundleId && ns.flowId && plane.catalog.registry.latestVersion(ns.bundleId) !== undefined) {
    return bundleFlow(plane, { bundle_id: ns.bundleId, flow_id: ns.flowId, bundle_version: ns.version });
  }
  throw notFound(`Workflow '${wid}' not found`);
}

// ---------------------------------------------------------------------------------------
// Changes

interface ReloadOutcome {
  gateway_reloaded: boolean;
  gateway_reload_error: string | null;
}

/** `POST /bundles/reload`. Bundles that fail to load are skipped and listed (the reference aborts). */
export async function reloadBundles(plane: DataPlane) {
  let result;
  try {
    result = await plane.catalog.reloadBundles();
  } catch (err) {
    throw internal(`Failed to reload bundles: ${(err as Error).message}`);
  }
  const bundleIds = [...new Set(plane.catalog.registry.listBundles().map((b) => b.bundle_id))];
  return {
    ok: true as const,
    bundle_ids: bundleIds,
    count: bundleIds.length,
    skipped: result.errors.map((e) => ({ file: basename(e.source), error: e.error })),
  };
}

/** Best-effort reload after a change on disk; `installed` names a file that must then be loaded. */
async function reloadAfterChange(plane: DataPlane, installed?: string): Promise<ReloadOutcome> {
  try {
    const result = await plane.catalog.reloadBundles();
    const failure = result.errors.find((e) => e.source === installed);
    return { gateway_reloaded: true, gateway_reload_error: failure?.error ?? null };
  } catch (err) {
    return { gateway_reloaded: false, gateway_reload_error: (err as Error).message };
  }
}

const NOT_RELOADED: ReloadOutcome = { gateway_reloaded: false, gateway_reload_error: null };

/** Invalid bundles stay client errors (400); anything else is the server's fault (503 for storage). */
async function orFail<T>(what: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw storageFault(err) ?? internal(`${what}: ${(err as Error).message}`);
  }
}

/** `POST /bundles/upload` once the bytes are in: validate, install, reload. */
export async function installUpload(plane: DataPlane, bytes: Buffer, opts: { overwrite: boolean; reload: boolean }) {
  const { bundle, path, sha256 } = await orFail('Failed installing bundle', installBundleFile(plane.catalog.flowsDir, plane.catalog.emptyRegistry(), bytes, opts.overwrite));
  const reload = opts.reload ? await reloadAfterChange(plane, path) : NOT_RELOADED;
  return {
    ok: true as const,
    ...identity(bundle),
    sha256,
    default_entrypoint: bundle.manifest.default_entrypoint,
    entrypoints: bundle.manifest.entrypoints.map(entrypointSummary),
    ...reload,
  };
}

/** `DELETE /bundles/{bundle_id}`: remove the files of one version, or of every version. */
export async function removeBundle(plane: DataPlane, bundleId: string, version: string | undefined, opts: { reload: boolean }) {
  const bundleRef = version ? `${bundleId}@${version}` : bundleId;
  const removed = await orFail('Failed removing bundle', removeBundleFiles(plane.catalog.flowsDir, bundleId, version));
  if (removed === 0) throw notFound(`Bundle '${bundleRef}' not found`);
  const reload = opts.reload ? await reloadAfterChange(plane) : NOT_RELOADED;
  return { ok: true as const, bundle_ref: bundleRef, removed, ...reload };
}

/** `POST /bundles/{bundle_id}/deprecate`: a flow (an entrypoint of the latest version) or the whole bundle. */
export function deprecate(plane: DataPlane, bundleId: string, flowId: string, reason: string) {
  const latest = plane.catalog.registry.getBundle(bundleId);
  if (!latest) throw notFound(`Bundle '${bundleId}' not found`);
  if (flowId && !latest.manifest.entrypoints.some((ep) => ep.flow_id === flowId)) {
    throw notFound(`Entrypoint '${bundleId}:${flowId}' not found`);
  }
  const key = flowId || WILDCARD;
  const rec = plane.catalog.deprecations.deprecate(bundleId, key, reason || undefined);
  return { ok: true as const, bundle_id: bundleId, flow_id: key, ...rec };
}

/** `POST /bundles/{bundle_id}/undeprecate`: no existence check, `removed` says whether a record existed. */
export function undeprecate(plane: DataPlane, bundleId: string, flowId: string) {
  const key = flowId || WILDCARD;
  return { ok: true as const, bundle_id: bundleId, flow_id: key, removed: plane.catalog.deprecations.undeprecate(bundleId, key) };
}
