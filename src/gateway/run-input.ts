// Input hygiene for POST /runs/start (spec core-api §3.2 step 2 and 4): what a client may put
// into a new run's vars. Lifecycle metadata is sanitized, server-only policy is dropped, and
// workspace paths are clamped to roots the operator allows.

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import type { WorkspaceSettings } from '../config/config.js';
import type { JsonObject } from '../model/run.js';
import { isPlainObject } from '../model/json.js';

// ---- run lifecycle (runtime-visualflow §1.3 `_run_lifecycle`) ----

export interface SanitizedLifecycle {
  source?: string;
  purpose?: string;
  visibility?: string;
  run_mode?: string;
  editor_session_id?: string;
  flow_id?: string;
  bundle_id?: string;
  bundle_version?: string;
  retention?: { mode?: string; expires_at?: string; ttl_s?: number };
}

const LIFECYCLE_STRINGS = ['source', 'purpose', 'visibility', 'run_mode', 'editor_session_id', 'flow_id', 'bundle_id', 'bundle_version'] as const;
const MAX_LIFECYCLE_STRING = 240;
export const DRAFT_PURPOSE = 'draft_test';

function cleanString(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  return s ? s.slice(0, MAX_LIFECYCLE_STRING) : undefined;
}

/** Python int(): integral numbers truncate, integer literals parse, anything else (bools too) is rejected. */
function pyInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return Number.parseInt(v, 10);
  return undefined;
}

/** Unknown keys dropped, strings trimmed and cut, empty values dropped; undefined when nothing survives. */
export function sanitizeLifecycle(raw: unknown): SanitizedLifecycle | undefined {
  if (!isPlainObject(raw)) return undefined;
  const out: SanitizedLifecycle = {};
  for (const k of LIFECYCLE_STRINGS) {
    const s = cleanString(raw[k]);
    if (s !== undefined) out[k] = s;
  }
  if (isPlainObject(raw.retention)) {
    const retention: NonNullable<SanitizedLifecycle['retention']> = {};
    for (const k of ['mode', 'expires_at'] as const) {
      const s = cleanString(raw.retention[k]);
      if (s !== undefined) retention[k] = s;
    }
    const ttl = pyInt(raw.retention.ttl_s);
    if (ttl !== undefined && ttl > 0) retention.ttl_s = ttl;
    if (Object.keys(retention).length > 0) out.retention = retention;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export const isDraftLifecycle = (l: SanitizedLifecycle | undefined | null): boolean => l?.purpose === DRAFT_PURPOSE;

// ---- vars hygiene ----

/** `thinking`: booleans kept, strings trimmed (empty ignored), other types ignored. */
function normalizeThinking(v: unknown): boolean | string | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v.trim() || undefined;
  return undefined;
}

export interface StartHygieneInput {
  input_data: JsonObject;
  thinking?: unknown;
  run_lifecycle?: JsonObject | null;
}

/** The vars a client-supplied start request may seed (a copy; the request is not mutated). */
export function cleanStartInput(req: StartHygieneInput, workspace: WorkspacePolicy): JsonObject {
  const vars: JsonObject = { ...req.input_data };
  // Only the server may set a workflow policy.
  if (isPlainObject(vars._runtime) && 'workflow_policy' in vars._runtime) {
    const runtime = { ...vars._runtime };
    delete runtime.workflow_policy;
    vars._runtime = runtime;
  }
  clampWorkspace(vars, workspace);
  const thinking = normalizeThinking(req.thinking);
  if (thinking !== undefined) vars._runtime = { ...(isPlainObject(vars._runtime) ? vars._runtime : {}), thinking };
  if (isPlainObject(req.run_lifecycle)) vars._run_lifecycle = req.run_lifecycle;
  const lifecycle = sanitizeLifecycle(vars._run_lifecycle);
  if (lifecycle) vars._run_lifecycle = lifecycle;
  else delete vars._run_lifecycle;
  return vars;
}

// ---- workspace scope ----

export interface WorkspacePolicy extends WorkspaceSettings {
  /** `<DATA_DIR>/workspaces`: per-run workspaces live here. */
  runWorkspacesDir: string;
}

/** A scope's policy: its own `workspaces/` dir plus the operator's settings from Config. */
export function workspacePolicy(dataDir: string, settings: WorkspaceSettings): WorkspacePolicy {
  return { runWorkspacesDir: join(dataDir, 'workspaces'), ...settings };
}

const ACCESS_MODES = new Set(['workspace_only', 'workspace_or_allowed']);

/** The absolute path if it lies under an allowed root, else undefined (relative paths resolve against the operator root). */
function allowedPath(p: unknown, policy: WorkspacePolicy): string | undefined {
  if (typeof p !== 'string' || !p.trim()) return undefined;
  const abs = isAbsolute(p.trim()) ? resolve(p.trim()) : resolve(policy.operatorDir ?? policy.runWorkspacesDir, p.trim());
  const roots = [policy.runWorkspacesDir, policy.operatorDir].filter((r): r is string => r !== undefined);
  return roots.some((r) => abs === r || abs.startsWith(r + sep)) ? abs : undefined;
}

const lines = (v: unknown): string[] =>
  (Array.isArray(v) ? v : typeof v === 'string' ? v.split('\n') : []).map((x) => (typeof x === 'string' ? x.trim() : '')).filter(Boolean);

/** Move a camelCase alias onto its snake_case key (the snake_case value wins). */
function takeAlias(vars: JsonObject, key: string, alias: string): void {
  if (alias in vars) {
    if (vars[key] === undefined) vars[key] = vars[alias];
    delete vars[alias];
  }
}

function clampWorkspace(vars: JsonObject, policy: WorkspacePolicy): void {
  if (policy.trustClient) return;
  takeAlias(vars, 'workspace_access_mode', 'workspaceAccessMode');
  takeAlias(vars, 'workspace_allowed_paths', 'workspaceAllowedPaths');
  takeAlias(vars, 'workspace_ignored_paths', 'workspaceIgnoredPaths');

  if ('workspace_root' in vars) {
    const root = allowedPath(vars.workspace_root, policy);
    if (root) vars.workspace_root = root;
    else delete vars.workspace_root;
  }
  if ('workspace_access_mode' in vars) {
    const mode = typeof vars.workspace_access_mode === 'string' ? vars.workspace_access_mode.trim().toLowerCase() : '';
    // all_except_ignored would open the whole machine: never granted to a remote client.
    vars.workspace_access_mode = ACCESS_MODES.has(mode) ? mode : 'workspace_only';
  }
  if ('workspace_allowed_paths' in vars) {
    const kept = lines(vars.workspace_allowed_paths)
      .map((p) => allowedPath(p, policy))
      .filter((p): p is string => p !== undefined);
    vars.workspace_allowed_paths = Array.isArray(vars.workspace_allowed_paths) ? kept : kept.join('\n');
  }
  if ('workspace_ignored_paths' in vars) vars.workspace_ignored_paths = lines(vars.workspace_ignored_paths).join('\n');
}

export const WORKSPACE_MARKER = '.abstractgateway-workspace.json';

/** Create `<DATA_DIR>/workspaces/<32 hex>/` for a run that brought no workspace_root. */
export function createRunWorkspace(policy: WorkspacePolicy): string {
  const dir = join(policy.runWorkspacesDir, randomBytes(16).toString('hex'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The ownership marker that lets draft purge delete the workspace with its run. */
export function writeWorkspaceMarker(dir: string, runId: string, createdAt: string): void {
  const marker = { owner: 'abstractgateway', kind: 'run_workspace', run_id: runId, created_at: createdAt };
  writeFileSync(join(dir, WORKSPACE_MARKER), JSON.stringify(marker, null, 2));
}
