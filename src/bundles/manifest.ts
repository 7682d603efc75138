// `manifest.json` of a `.flow` bundle (spec core-api §2.1, runtime-visualflow §4.1.2):
// validation of the raw JSON into one normalized, typed Manifest.

import { GatewayError } from '../errors.js';
import { isPlainObject } from '../model/json.js';
import { checkIdLength } from '../model/limits.js';

/** A bundle is unusable: bad archive, bad manifest, missing flow, failed compile... */
export const bundleError = (message: string) => new GatewayError('GW_ERR_BAD_BUNDLE', message);

export interface Entrypoint {
  flow_id: string;
  name: string | null;
  description: string;
  interfaces: string[];
}

export interface Manifest {
  bundle_format_version: '1';
  bundle_id: string;
  bundle_version: string;
  created_at: string;
  entrypoints: Entrypoint[];
  default_entrypoint: string | null;
  /** flow_id → relative path of its VisualFlow JSON. Never empty. */
  flows: Record<string, string>;
  /** Legacy, unused by the gateway (paths still validated). */
  artifacts: Record<string, string>;
  /** asset name → relative path. */
  assets: Record<string, string>;
  metadata: Record<string, unknown>;
}

// Install rules of core-api §0.4. They also keep workflow ids `<id>@<version>:<flow>`
// unambiguous: neither part may contain '@' or ':'.
const BUNDLE_ID_RE = /^[A-Za-z0-9_-]+$/;
const BUNDLE_VERSION_RE = /^[A-Za-z0-9_.-]+$/;

/**
 * A relative path that cannot escape the bundle root: non-empty, '/'-separated, no leading
 * '/', no backslash, no drive prefix (`C:`), no empty/`.`/`..` segment, no control chars.
 */
export function isSafeRelPath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\\') || /[\u0000-\u001f]/.test(p)) return false;
  const segments = p.split('/');
  if (segments[0].includes(':')) return false;
  return segments.every((s) => s !== '' && s !== '.' && s !== '..');
}

/** Where a manifest field is in an upload, for 422 bodies. */
const MANIFEST_LOC = (...path: string[]) => ['body', 'file', 'manifest.json', ...path];

/** Validate a parsed manifest.json. Throws BundleError naming the offending field. */
export function parseManifest(raw: unknown): Manifest {
  if (!isPlainObject(raw)) throw bundleError('manifest.json must be a JSON object');
  const formatVersion = optionalString(raw, ['bundle_format_version', 'bundleFormatVersion']) ?? '';
  if (formatVersion.trim() !== '1') {
    throw bundleError(`Unsupported bundle_format_version '${formatVersion}' (supported: "1")`);
  }

  const bundleId = (optionalString(raw, ['bundle_id', 'bundleId']) ?? '').trim();
  // Ids name files and URL path segments: longer ones could be installed but never addressed.
  checkIdLength(MANIFEST_LOC('bundle_id'), bundleId);
  if (!BUNDLE_ID_RE.test(bundleId)) {
    throw bundleError(`manifest bundle_id '${bundleId}' is invalid: use only letters, digits, '_' and '-'`);
  }
  const bundleVersion = (optionalString(raw, ['bundle_version', 'bundleVersion']) ?? '').trim() || '0.0.0';
  checkIdLength(MANIFEST_LOC('bundle_version'), bundleVersion);
  if (!BUNDLE_VERSION_RE.test(bundleVersion)) {
    throw bundleError(`manifest bundle_version '${bundleVersion}' is invalid: use only letters, digits, '_', '.' and '-'`);
  }

  const flows = pathMap(raw, 'flows');
  for (const flowId of Object.keys(flows)) checkIdLength(MANIFEST_LOC('flows'), flowId);
  if (Object.keys(flows).length === 0) {
    throw bundleError('manifest.flows is empty: a bundle must contain at least one flow');
  }
  const entrypoints = parseEntrypoints(raw.entrypoints, flows);
  const defaultEntrypoint =
    optionalString(raw, ['default_entrypoint', 'defaultEntrypoint', 'default_entrypoint_flow_id', 'defaultEntrypointFlowId'])?.trim() || null;
  if (defaultEntrypoint !== null && !entrypoints.some((e) => e.flow_id === defaultEntrypoint)) {
    throw bundleError(`default_entrypoint '${defaultEntrypoint}' must match an entrypoint flow_id`);
  }
  if (raw.metadata !== undefined && raw.metadata !== null && !isPlainObject(raw.metadata)) {
    throw bundleError('manifest.metadata must be an object');
  }

  return {
    bundle_format_version: '1',
    bundle_id: bundleId,
    bundle_version: bundleVersion,
    created_at: optionalString(raw, ['created_at', 'createdAt']) ?? '',
    entrypoints,
    default_entrypoint: defaultEntrypoint,
    flows,
    artifacts: pathMap(raw, 'artifacts'),
    assets: pathMap(raw, 'assets'),
    metadata: isPlainObject(raw.metadata) ? raw.metadata : {},
  };
}

/** First present (non-null) alias; a present non-string value is an error. */
function optionalString(obj: Record<string, unknown>, keys: string[]): string | undefined {
  for (const key of keys) {
    const v = obj[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw bundleError(`manifest field '${key}' must be a string`);
    return v;
  }
  return undefined;
}

function pathMap(raw: Record<string, unknown>, field: 'flows' | 'artifacts' | 'assets'): Record<string, string> {
  const value = raw[field];
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw bundleError(`manifest.${field} must be an object of name → relative path`);
  for (const [key, p] of Object.entries(value)) {
    if (key.trim() === '') throw bundleError(`manifest.${field} has an empty key`);
    if (typeof p !== 'string' || !isSafeRelPath(p)) {
      throw bundleError(`manifest.${field}['${key}'] has unsafe path ${JSON.stringify(p)} (must be relative, '/'-separated, without '..')`);
    }
  }
  // A fresh copy via fromEntries: a '__proto__' key stays an own property.
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}

function parseEntrypoints(value: unknown, flows: Record<string, string>): Entrypoint[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw bundleError('manifest.entrypoints must be a non-empty list');
  }
  const seen = new Set<string>();
  return value.map((ep, i) => {
    if (!isPlainObject(ep)) throw bundleError(`manifest.entrypoints[${i}] must be an object`);
    const flowId = (optionalString(ep, ['flow_id', 'flowId']) ?? '').trim();
    if (!flowId) throw bundleError(`manifest.entrypoints[${i}].flow_id must be a non-empty string`);
    if (seen.has(flowId)) throw bundleError(`Duplicate entrypoint flow_id '${flowId}'`);
    seen.add(flowId);
    // Stricter than the reference: an entrypoint without a flow could never start.
    if (!Object.hasOwn(flows, flowId)) throw bundleError(`entrypoint '${flowId}' is not listed in manifest.flows`);
    const name = typeof ep.name === 'string' && ep.name.trim() ? ep.name.trim() : null;
    const description = typeof ep.description === 'string' ? ep.description : '';
    // Interfaces are authoring hints: keep the non-empty strings, like the reference.
    const interfaces = Array.isArray(ep.interfaces)
      ? ep.interfaces.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim())
      : [];
    return { flow_id: flowId, name, description, interfaces };
  });
}
