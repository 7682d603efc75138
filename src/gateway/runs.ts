// Runs as the gateway serves them (spec core-api §3.2, §3.4–3.6): the start pipeline, listing
// and the "re-run" view of a run's inputs. Functions over one scope's data plane; failures are
// GatewayErrors (no HTTP in here).

import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { DataPlane } from './plane.js';
import { GatewayError, conflict, internal, invalid, notFound } from '../errors.js';
import type { JsonObject, RunStatus, StepRecord } from '../model/run.js';
import type { StoredRun } from '../store/types.js';
import { isDraftVersion, parseNamespacedId, splitBundleRef } from '../bundles/versions.js';
import { entrypointInputs } from './flow-inputs.js';
import { isPlainObject } from '../model/json.js';
import { isoFromMs } from '../model/time.js';
import { DRAFT_PURPOSE, cleanStartInput, createRunWorkspace, writeWorkspaceMarker, type WorkspacePolicy } from './run-input.js';
import { runSummary, type RunSummary } from './run-summary.js';
import { recordStartDigest, startOnce, startRequestDigest } from './start-idempotency.js';
import { storageFault } from '../store/faults.js';

// ---- POST /runs/start ----

export interface StartRunRequest {
  bundle_id?: string | null;
  flow_id?: string | null;
  bundle_version?: string | null;
  input_data?: JsonObject;
  session_id?: string | null;
  registry_scope?: string | null;
  thinking?: unknown;
  run_lifecycle?: JsonObject | null;
}

const blank = (v: string | null | undefined): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

const CATALOG_SCOPES = new Set(['catalog', 'tenant', 'tenant_catalog']);
const FRAMEWORK_SCOPES = new Set(['framework', 'framework_catalog', 'global']);

const normScope = (s: string | null | undefined) => (s ?? '').trim().toLowerCase().replace(/-/g, '_');
const isCatalogScope = (s: string) => CATALOG_SCOPES.has(s) || FRAMEWORK_SCOPES.has(s);

/** Only the private registry exists here; catalog scopes are recognized and refused. */
function checkRegistryScope(raw: string | null | undefined): void {
  const scope = normScope(raw);
  if (!scope || scope === 'private') return;
  if (FRAMEWORK_SCOPES.has(scope)) throw new GatewayError('GW_ERR_NOT_AVAILABLE', 'framework_catalog is reserved but not loadable yet; use tenant_catalog');
  if (CATALOG_SCOPES.has(scope)) throw new GatewayError('GW_ERR_NOT_AVAILABLE', 'Workflow catalogs are not available on this gateway');
  throw invalid(`Unsupported registry_scope: ${raw}`);
}

/** Draft bundle versions may only be started as draft tests (step 1; version sources are not cross-checked here). */
function checkDraftGate(req: StartRunRequest): void {
  const requested =
    blank(req.bundle_version) ?? splitBundleRef(req.bundle_id ?? '').version ?? parseNamespacedId(blank(req.flow_id) ?? '')?.version;
  if (!requested || !isDraftVersion(requested) || isCatalogScope(normScope(req.registry_scope))) return;
  const purpose = isPlainObject(req.run_lifecycle) && typeof req.run_lifecycle.purpose === 'string' ? req.run_lifecycle.purpose.trim() : '';
  if (purpose !== DRAFT_PURPOSE) throw invalid("draft bundle versions require run_lifecycle.purpose='draft_test'");
}

/** Workflow id for the request (step 7); resolution 400s carry the reference's prefix. */
function resolveWorkflow(plane: DataPlane, req: StartRunRequest): string {
  let workflowId: string;
  try {
    workflowId = plane.catalog.registry.resolveStart({ bundle_id: req.bundle_id, bundle_version: req.bundle_version, flow_id: req.flow_id });
  } catch (err) {
    if (err instanceof GatewayError && err.code === 'GW_ERR_INVALID') throw invalid(`Failed to start run: ${err.message}`);
    throw err;
  }
  const ns = parseNamespacedId(workflowId);
  // Deprecation is keyed by (bundle id, flow id) across versions; raw workflow ids have none.
  if (ns?.bundleId && plane.catalog.registry.latestVersion(ns.bundleId) !== undefined) {
    const dep = plane.catalog.deprecations.get(ns.bundleId, ns.flowId);
    if (dep) throw conflict(`Workflow '${ns.bundleId}:${ns.flowId}' is deprecated${dep.reason ? `: ${dep.reason}` : ''}`);
  }
  return workflowId;
}

/**
 * The start pipeline of core-api §3.2; returns the run id. The runner executes the run. With an
 * Idempotency-Key, a repeated start returns the first run instead of starting another (and a
 * different body under the same key is a 409).
 */
export async function startRun(plane: DataPlane, req: StartRunRequest, idempotencyKey?: string): Promise<string> {
  if (!idempotencyKey) return startNew(plane, req, randomUUID());
  const digest = startRequestDigest(req);
  return startOnce(plane, idempotencyKey, digest, (runId) => startNew(plane, req, runId, digest));
}

/**
 * Everything that can fail happens before the run's one insert: a start that answers an error
 * has created nothing (no run, no workspace), and one that created a run answers its id.
 */
async function startNew(plane: DataPlane, req: StartRunRequest, runId: string, digest?: string): Promise<string> {
  const workspace = plane.workspace;
  if (!blank(req.flow_id) && !blank(req.bundle_id)) throw invalid('flow_id is required (or provide bundle_id to start a bundle entrypoint)');
  checkDraftGate(req);
  checkRegistryScope(req.registry_scope);
  const vars = cleanStartInput({ input_data: req.input_data ?? {}, thinking: req.thinking, run_lifecycle: req.run_lifecycle }, workspace);
  if (digest) recordStartDigest(vars, digest);
  const workflowId = resolveWorkflow(plane, req);

  // Created only once the request is known to be valid, so rejected starts leave no directory.
  let ownWorkspace: string | undefined;
  try {
    if (!(typeof vars.workspace_root === 'string' && vars.workspace_root.trim())) {
      ownWorkspace = createRunWorkspace(workspace);
      writeWorkspaceMarker(ownWorkspace, runId, isoFromMs(plane.runtime.clock.nowMs()));
      vars.workspace_root = ownWorkspace;
    }
    return (await plane.runtime.startRun({ workflow_id: workflowId, run_id: runId, input_data: vars, session_id: blank(req.session_id) ?? null })).run_id;
  } catch (err) {
    if (ownWorkspace) rmSync(ownWorkspace, { recursive: true, force: true });
    if (err instanceof GatewayError) throw err;
    // A full disk or read-only data dir is the server's fault (503), never the client's (400).
    throw storageFault(err) ?? invalid(`Failed to start run: ${(err as Error).message}`);
  }
}

// ---- GET /runs/{id}, GET /runs ----

export async function loadRun(plane: DataPlane, runId: string): Promise<StoredRun> {
  let stored: StoredRun | null;
  try {
    stored = await plane.runtime.getStoredRun(runId);
  } catch (err) {
    throw internal(`Failed to load run: ${(err as Error).message}`, err);
  }
  if (!stored) throw notFound(`Run '${runId}' not found`);
  return stored;
}

export const getRunSummary = async (plane: DataPlane, runId: string): Promise<RunSummary> => runSummary(await loadRun(plane, runId));

const RUN_STATUSES: readonly RunStatus[] = ['running', 'waiting', 'completed', 'failed', 'cancelled'];

export interface ListRunsQuery {
  limit: number;
  status?: string;
  workflow_id?: string;
  session_id?: string;
  root_only: boolean;
  include_ledger_len: boolean;
  include_metrics: boolean;
  include_drafts: boolean;
}

export interface RunMetrics {
  steps: number;
  llm_calls: number;
  tool_calls: number;
  tokens_total: number;
}

export type RunListItem = Omit<RunSummary, 'ledger_len'> & { ledger_len?: number } & Partial<RunMetrics>;

/** Most recently updated first; internal `__*` workflows and drafts hidden unless asked for. */
export async function listRuns(plane: DataPlane, q: ListRunsQuery): Promise<RunListItem[]> {
  let status: RunStatus | undefined;
  if (blank(q.status)) {
    status = q.status!.trim().toLowerCase() as RunStatus;
    if (!RUN_STATUSES.includes(status)) throw invalid('Invalid status (expected: running|waiting|completed|failed|cancelled)');
  }
  const workflowId = blank(q.workflow_id);
  const hideInternal = workflowId === undefined;
  // Hidden runs are filtered after the query: over-fetch so the page is usually still full.
  const filtering = hideInternal || !q.include_drafts;
  const rows = await plane.runtime.listRuns({
    status,
    workflow_id: workflowId,
    session_id: blank(q.session_id),
    root_only: q.root_only,
    limit: filtering ? Math.max(200, q.limit * 5) : q.limit,
  });
  const items: RunListItem[] = [];
  for (const row of rows) {
    if (items.length >= q.limit) break;
    if (hideInternal && row.run.workflow_id.startsWith('__')) continue;
    const summary: RunListItem = runSummary(row);
    if (summary.is_draft && !q.include_drafts) continue;
    if (!q.include_ledger_len) delete summary.ledger_len;
    if (q.include_metrics) Object.assign(summary, await runMetrics(plane, row.run.run_id));
    items.push(summary);
  }
  return items;
}

const METRICS_PAGE = 2000;

/** Counted over the run's completed ledger records (core-api §3.5). */
async function runMetrics(plane: DataPlane, runId: string): Promise<RunMetrics> {
  const m: RunMetrics = { steps: 0, llm_calls: 0, tool_calls: 0, tokens_total: 0 };
  for (let after = 0; ; ) {
    const page = await plane.runtime.readLedger(runId, after, METRICS_PAGE);
    for (const r of page.items) addMetrics(m, r);
    if (page.items.length < METRICS_PAGE) return m;
    after = page.next_after;
  }
}

function addMetrics(m: RunMetrics, r: StepRecord): void {
  if (r.status !== 'completed') return;
  m.steps++;
  if (r.effect?.type === 'llm_call') {
    m.llm_calls++;
    const total = r.result?.usage?.total_tokens;
    if (typeof total === 'number' && Number.isFinite(total)) m.tokens_total += total;
  } else if (r.effect?.type === 'tool_calls' && Array.isArray(r.effect.payload?.tool_calls)) {
    m.tool_calls += r.effect.payload.tool_calls.filter((c: unknown) => c != null).length;
  }
}

// ---- GET /runs/{id}/input_data ----

export interface RunInputData {
  run_id: string;
  workflow_id: string;
  bundle_id: string | null;
  bundle_version?: string;
  flow_id: string | null;
  pin_ids: string[];
  input_data: JsonObject;
  workspace: JsonObject;
}

/** Ids of the flow's start pins (core-api §2.5). */
const startPinIds = (flow: unknown): string[] => entrypointInputs(flow).map((p) => p.id);

const pick = (vars: JsonObject, keys: string[]): JsonObject => Object.fromEntries(keys.filter((k) => k in vars).map((k) => [k, vars[k]]));

/** Vars without the reserved `_*` namespaces: what a client put in, plus flow variables. */
export const publicVars = (vars: JsonObject): JsonObject => Object.fromEntries(Object.entries(vars).filter(([k]) => !k.startsWith('_')));

const WORKSPACE_KEYS = ['workspace_root', 'workspace_access_mode', 'workspace_allowed_paths', 'workspace_ignored_paths'] as const;

/** Workspace knobs a follow-up run needs; paths under the operator root are made relative (no server paths leak). */
function publicWorkspace(vars: JsonObject, policy: WorkspacePolicy): JsonObject {
  const rel = (p: string): string => {
    if (!policy.operatorDir || !isAbsolute(p)) return p;
    const r = relative(policy.operatorDir, resolve(p));
    return r === '' ? '.' : r.startsWith('..') || isAbsolute(r) ? resolve(p) : r;
  };
  const out: JsonObject = {};
  for (const key of WORKSPACE_KEYS) {
    const v = vars[key];
    if (v === undefined || v === null) continue;
    const pathValued = key !== 'workspace_access_mode';
    if (typeof v === 'string') {
      const lines = v.split('\n').map((l) => l.trim()).filter(Boolean);
      if (lines.length === 0) continue;
      out[key] = key === 'workspace_root' ? rel(v.trim()) : pathValued ? lines.map(rel).join('\n') : v.trim();
    } else if (Array.isArray(v)) {
      const items = v.map((x) => String(x ?? '').trim()).filter(Boolean);
      if (items.length > 0) out[key] = pathValued ? items.map(rel) : items;
    } else {
      out[key] = v;
    }
  }
  return out;
}

/** The inputs a run was started with, filtered to the flow's start pins when they are known (core-api §3.6). */
export async function runInputData(plane: DataPlane, runId: string): Promise<RunInputData> {
  const { run } = await loadRun(plane, runId);
  const vars = isPlainObject(run.vars) ? run.vars : {};
  const base = { run_id: run.run_id, workflow_id: run.workflow_id ?? '', workspace: publicWorkspace(vars, plane.workspace) };

  const schedule = vars._meta?.schedule;
  if (isPlainObject(schedule) && blank(schedule.target_bundle_id) && blank(schedule.target_flow_id)) {
    const bundleId = schedule.target_bundle_id.trim();
    const flowId = schedule.target_flow_id.trim();
    const targetVars = isPlainObject(vars.vars) ? vars.vars : {};
    const bundle = plane.catalog.registry.getBundle(bundleId, blank(schedule.target_bundle_version));
    const pins = startPinIds(bundle?.flows[flowId]);
    if (bundle && pins.length > 0) {
      return { ...base, bundle_id: bundleId, bundle_version: bundle.bundle_version, flow_id: flowId, pin_ids: pins, input_data: pick(targetVars, pins) };
    }
    return { ...base, bundle_id: bundleId, flow_id: flowId, pin_ids: [], input_data: targetVars };
  }

  const ns = parseNamespacedId(run.workflow_id ?? '');
  if (ns) {
    const bundle = ns.bundleId ? plane.catalog.registry.getBundle(ns.bundleId, ns.version) : undefined;
    const pins = startPinIds(bundle?.flows[ns.flowId]);
    if (bundle && pins.length > 0) {
      return { ...base, bundle_id: bundle.bundle_id, bundle_version: bundle.bundle_version, flow_id: ns.flowId, pin_ids: pins, input_data: pick(vars, pins) };
    }
  }
  // Fallback (reference quirk kept): bundle_id is the raw workflow-id prefix, version included.
  const [prefix, rest] = (run.workflow_id ?? '').split(/:(.*)/s, 2).map((x) => x?.trim());
  const split = prefix && rest ? { bundle_id: prefix, flow_id: rest } : { bundle_id: null, flow_id: null };
  return { ...base, ...split, pin_ids: [], input_data: publicVars(vars) };
}
