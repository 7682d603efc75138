// Bundle versions and workflow-id resolution (spec core-api §2.3, §3.2 step 7;
// runtime-visualflow §4.1.3). Pure functions over a read-only view of the loaded bundles.

import { invalid, notFound } from '../errors.js';
import type { Manifest } from './manifest.js';

export interface BundleRef {
  bundleId: string;
  version?: string;
}

export interface NamespacedId extends BundleRef {
  flowId: string;
}

export interface VersionInfo {
  version: string;
  created_at: string;
}

/** Read-only view of the loaded bundles that resolution needs. */
export interface BundleCatalog {
  /** Latest loaded version (see pickLatestVersion), undefined when the bundle id is unknown. */
  latestVersion(bundleId: string): string | undefined;
  manifest(bundleId: string, version: string): Manifest | undefined;
  /** The only loaded bundle id, if exactly one is loaded. */
  defaultBundleId(): string | undefined;
}

/** Fields of a start request (`POST /runs/start`) that select the workflow. */
export interface StartRef {
  bundle_id?: string | null;
  bundle_version?: string | null;
  flow_id?: string | null;
}

export const isDraftVersion = (v: string): boolean => v.trim().toLowerCase().startsWith('draft.');

export const workflowIdOf = (bundleId: string, version: string, flowId: string): string => `${bundleId}@${version}:${flowId}`;

/** `"id"` or `"id@version"` (split on the first '@'). Blank parts are absent. */
export function splitBundleRef(raw: string): BundleRef {
  const s = raw.trim();
  const at = s.indexOf('@');
  if (at < 0) return { bundleId: s };
  const bundleId = s.slice(0, at).trim();
  const version = s.slice(at + 1).trim();
  return bundleId && version ? { bundleId, version } : { bundleId };
}

/** `"<bundle_ref>:<flow_id>"` (split on the first ':'), or undefined when there is no ':'. */
export function parseNamespacedId(id: string): NamespacedId | undefined {
  const colon = id.indexOf(':');
  if (colon < 0) return undefined;
  return { ...splitBundleRef(id.slice(0, colon)), flowId: id.slice(colon + 1).trim() };
}

/** Dotted integers ("1", "0.0.1"), else undefined. */
function parseDotted(v: string): number[] | undefined {
  const parts = v.trim().split('.');
  return parts.every((p) => /^\d+$/.test(p)) ? parts.map(Number) : undefined;
}

/** Compare dotted integers, missing parts counting as 0 (so "1" == "1.0.0"). */
function compareDotted(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The latest version: among published (non-`draft.`) versions if any exist and
 * `preferPublished` (default), else among all; max dotted-integer version if all parse,
 * else max `(created_at, version)`. Ties keep the first candidate.
 */
export function pickLatestVersion(candidates: readonly VersionInfo[], opts: { preferPublished?: boolean } = {}): string | undefined {
  const published = candidates.filter((c) => !isDraftVersion(c.version));
  const pool = (opts.preferPublished ?? true) && published.length > 0 ? published : candidates;
  const dotted = pool.map((c) => parseDotted(c.version));
  const allDotted = dotted.every((d) => d !== undefined);
  let best = 0;
  for (let i = 1; i < pool.length; i++) {
    const newer = allDotted
      ? compareDotted(dotted[i]!, dotted[best]!) > 0
      : compareStrings(pool[i]!.created_at, pool[best]!.created_at) > 0 ||
        (pool[i]!.created_at === pool[best]!.created_at && compareStrings(pool[i]!.version, pool[best]!.version) > 0);
    if (newer) best = i;
  }
  return pool[best]?.version;
}

/** Code-unit order (like Python's str comparison for BMP text), not locale order. */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const blank = (v: string | null | undefined): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

const CONFLICT_BUNDLE_ID = "bundle_version conflicts with bundle_id (bundle_id already includes '@version')";

/**
 * The requested version by precedence: explicit `bundle_version`, then the `@version` of
 * `bundle_id`, then the `@version` of a namespaced `flow_id`. Two sources that differ → 400.
 */
function requestedVersionOf(
  explicit: string | undefined,
  fromBundleId: string | undefined,
  fromFlowId: string | undefined,
  bundleIdConflict = CONFLICT_BUNDLE_ID,
): string | undefined {
  if (explicit && fromBundleId && explicit !== fromBundleId) throw invalid(bundleIdConflict);
  if (fromFlowId && explicit && fromFlowId !== explicit) throw invalid('flow_id version does not match bundle_version');
  if (fromFlowId && fromBundleId && fromFlowId !== fromBundleId) throw invalid('flow_id version does not match bundle_id');
  return explicit ?? fromBundleId ?? fromFlowId;
}

/**
 * The effective requested version of a start request (for the draft gate); undefined means
 * "latest". Throws GW_ERR_INVALID when two version sources conflict.
 */
export function requestedVersion(req: StartRef): string | undefined {
  return requestedVersionOf(
    blank(req.bundle_version),
    splitBundleRef(req.bundle_id ?? '').version,
    parseNamespacedId(req.flow_id ?? '')?.version,
  );
}

/** A loaded bundle version: the given one, else the latest. 404 when unknown. */
function loadedManifest(catalog: BundleCatalog, bundleId: string, version: string | undefined): Manifest {
  const latest = catalog.latestVersion(bundleId);
  if (latest === undefined) throw notFound(`Bundle '${bundleId}' not found`);
  const selected = version ?? latest;
  const manifest = catalog.manifest(bundleId, selected);
  if (!manifest) throw notFound(`Bundle '${bundleId}@${selected}' not found`);
  return manifest;
}

/** `GET /bundles/{bundle_id}?bundle_version=`: `bundle_id` may be `"id@version"`. */
export function resolveBundle(catalog: BundleCatalog, bundleId: string, bundleVersion?: string | null): Manifest {
  const ref = splitBundleRef(bundleId);
  if (!ref.bundleId) throw invalid('bundle_id is required');
  return loadedManifest(catalog, ref.bundleId, requestedVersionOf(blank(bundleVersion), ref.version, undefined));
}

/**
 * `GET /bundles/{bundle_id}/flows/{flow_id}`: `flow_id` is plain or `"id[@ver]:flow"` whose
 * bundle part must match `bundle_id`.
 */
export function resolveFlow(
  catalog: BundleCatalog,
  req: { bundle_id: string; flow_id: string; bundle_version?: string | null },
): { manifest: Manifest; flowId: string; workflowId: string } {
  const ref = splitBundleRef(req.bundle_id);
  if (!ref.bundleId) throw invalid('bundle_id is required');
  let flowId = req.flow_id.trim();
  if (!flowId) throw invalid('flow_id is required');
  const prefixed = parseNamespacedId(flowId);
  if (prefixed) {
    if (!prefixed.bundleId || !prefixed.flowId) throw invalid('Invalid flow_id');
    if (prefixed.bundleId !== ref.bundleId) throw invalid('flow_id bundle prefix does not match bundle_id');
    flowId = prefixed.flowId;
  }
  const version = requestedVersionOf(blank(req.bundle_version), ref.version, prefixed?.version, 'bundle_id version does not match bundle_version');
  const manifest = loadedManifest(catalog, ref.bundleId, version);
  if (!Object.hasOwn(manifest.flows, flowId)) {
    throw notFound(`Flow '${flowId}' not found in bundle '${manifest.bundle_id}@${manifest.bundle_version}'`);
  }
  return { manifest, flowId, workflowId: workflowIdOf(manifest.bundle_id, manifest.bundle_version, flowId) };
}

/**
 * Start-request resolution → workflow id. Bundle-backed ids are checked to exist (404);
 * a `flow_id` whose prefix is not a loaded bundle (e.g. `scheduled:<uuid>`) is returned
 * verbatim for the caller to look up in its other workflow sources. 400 messages are bare:
 * the route adds the `"Failed to start run: "` prefix where core-api §3.2 shows one.
 */
export function resolveStart(catalog: BundleCatalog, req: StartRef): string {
  const flowIdRaw = blank(req.flow_id);
  const ref = splitBundleRef(req.bundle_id ?? '');
  const bundleId = ref.bundleId || undefined;
  if (!flowIdRaw && !bundleId) throw invalid('flow_id is required (or provide bundle_id to start a bundle entrypoint)');
  const explicit = blank(req.bundle_version);

  const prefixed = flowIdRaw ? parseNamespacedId(flowIdRaw) : undefined;
  if (flowIdRaw && prefixed) {
    if (!prefixed.bundleId || catalog.latestVersion(prefixed.bundleId) === undefined) {
      // Not a bundle namespace: a raw registered workflow id (dynamic flow, schedule...).
      if (bundleId || explicit || ref.version) {
        throw invalid(`flow_id '${flowIdRaw}' is already namespaced, but bundle_id/bundle_version was also provided`);
      }
      return flowIdRaw;
    }
    if (bundleId && bundleId !== prefixed.bundleId) throw invalid('flow_id bundle prefix does not match bundle_id');
    const version = requestedVersionOf(explicit, ref.version, prefixed.version);
    return existingWorkflow(loadedManifest(catalog, prefixed.bundleId, version), prefixed.flowId);
  }

  const version = requestedVersionOf(explicit, ref.version, undefined);
  const selected = bundleId ?? catalog.defaultBundleId();
  if (!selected) {
    throw invalid(
      flowIdRaw
        ? "bundle_id is required when multiple bundles are loaded (or pass flow_id as 'bundle:flow')"
        : "flow_id is required when multiple bundles are loaded; provide bundle_id (or pass flow_id as 'bundle:flow')",
    );
  }
  const manifest = loadedManifest(catalog, selected, version);
  return existingWorkflow(manifest, flowIdRaw ?? entrypointOf(manifest));
}

/** The entrypoint started when no flow_id is given: the only one, else the default. */
function entrypointOf(m: Manifest): string {
  if (m.entrypoints.length === 1) return m.entrypoints[0]!.flow_id;
  if (m.default_entrypoint) return m.default_entrypoint;
  throw invalid(
    `Bundle '${m.bundle_id}@${m.bundle_version}' has ${m.entrypoints.length} entrypoints; ` +
      'specify flow_id to select which entrypoint to start (or set manifest.default_entrypoint)',
  );
}

function existingWorkflow(m: Manifest, flowId: string): string {
  const workflowId = workflowIdOf(m.bundle_id, m.bundle_version, flowId);
  if (!Object.hasOwn(m.flows, flowId)) throw notFound(`Workflow '${workflowId}' not found`);
  return workflowId;
}
