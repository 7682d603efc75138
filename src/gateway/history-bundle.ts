// RunHistoryBundle v1 (spec core-api §3.7): one document a thin client can render a run tree
// from — the root run, every descendant's ledger (with absolute cursors), artifacts, a flat
// timeline and, on request, the session's earlier turns.
//
// Bounded (issue 7): 10 concurrent exports of a large run tree stalled /api/health for 14.9 s.
// An export holds at most ABSTRACTGATEWAY_HISTORY_MAX_RUNS runs and _MAX_RECORDS records (each
// run keeps the newest of its share, cursors stay absolute) and says so in `truncated`.
// Streamed: the document is produced as JSON text chunks, one ledger page at a time, each chunk
// in its own turn of the event loop shared with every other export (turns.ts), so no export
// builds or serialises its whole answer in one piece; the consumer pulls the next chunk only
// when it has room (socket backpressure).
// Ledger records are forwarded as stored JSON text (JSON.parse of it equals the record); the
// text equals JSON.stringify of the document the export describes, key order included.

import { createHash } from 'node:crypto';
import type { HistoryLimitSettings } from '../config/config.js';
import type { DataPlane } from './plane.js';
import type { JsonObject, RunState, StepRecord } from '../model/run.js';
import type { ArtifactMetadata, StoredRun } from '../store/types.js';
import { isPlainObject } from '../model/json.js';
import { isoFromMs, parseIsoMs } from '../model/time.js';
import { DEFAULT_INLINE_LIMIT } from '../runtime/offload.js';
import { loadRun, publicVars } from './runs.js';
import { internal } from '../errors.js';
import { takeTurn } from './turns.js';

export interface HistoryBundleOptions {
  include_subruns: boolean;
  include_session: boolean;
  session_turn_limit: number;
  ledger_mode: 'tail' | 'full';
  /** Records kept per run in tail mode; 0 means full. */
  ledger_max_items: number;
}

export type HistoryLimits = HistoryLimitSettings;

/** What an export left out to stay within its limits; null when complete. */
export interface Truncation {
  /** The run tree has more runs than the export holds. */
  runs_omitted: boolean;
  /** Older ledger records left out (the newest of each run are kept). */
  records_omitted: number;
  max_runs: number;
  max_records: number;
}

const ARTIFACTS_PER_RUN = 500;
/** Records per chunk: one ledger page read, parsed for its timeline and sent as one piece (~2 ms, ~90 KB). */
const LEDGER_PAGE = 100;
/** Timeline items per chunk (~120 KB). */
const TIMELINE_CHUNK = 500;

/** Root first, then descendants breadth-first (oldest child first), at most `maxRuns`. */
async function runTree(plane: DataPlane, root: StoredRun, maxRuns: number): Promise<{ tree: StoredRun[]; more: boolean }> {
  const tree = [root];
  const seen = new Set([root.run.run_id]);
  for (let i = 0; i < tree.length; i++) {
    const children = await plane.runtime.listRuns({ parent_run_id: tree[i].run.run_id, limit: maxRuns + 1 });
    for (const c of children.reverse()) {
      if (seen.has(c.run.run_id)) continue;
      if (tree.length >= maxRuns) return { tree, more: true };
      seen.add(c.run.run_id);
      tree.push(c);
    }
    await takeTurn();
  }
  return { tree, more: false };
}

const artifactSummary = (m: ArtifactMetadata) => ({
  artifact_id: m.artifact_id,
  blob_id: m.blob_id,
  run_id: m.run_id,
  content_type: m.content_type,
  size_bytes: m.size_bytes,
  created_at: m.created_at,
  tags: m.tags,
  descriptor: {},
  metadata: m.metadata,
  access: {},
});

async function runArtifacts(plane: DataPlane, runId: string) {
  const metas = await plane.runtime.listArtifacts(runId);
  metas.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.artifact_id < b.artifact_id ? -1 : 1));
  return metas.slice(0, ARTIFACTS_PER_RUN).map(artifactSummary);
}

function timelineItem(runId: string, cursor: number, r: StepRecord) {
  const endedAt = r.ended_at ?? r.started_at;
  const ms = parseIsoMs(endedAt ?? '') - parseIsoMs(r.started_at ?? '');
  return {
    run_id: runId,
    cursor,
    node_id: r.node_id || null,
    status: r.status || null,
    effect_type: r.effect?.type || null,
    started_at: r.started_at,
    ended_at: endedAt,
    duration_ms: Number.isFinite(ms) ? Math.max(0, Math.round(ms * 100) / 100) : null,
  };
}

/** Input values too large to inline become artifact refs (content-addressed, so re-exports reuse them). */
async function boundedInputs(plane: DataPlane, run: RunState): Promise<JsonObject> {
  const out = publicVars(isPlainObject(run.vars) ? run.vars : {});
  for (const [k, v] of Object.entries(out)) {
    const json = JSON.stringify(v) ?? '';
    if (Buffer.byteLength(json) <= DEFAULT_INLINE_LIMIT) continue;
    const bytes = Buffer.from(typeof v === 'string' ? v : json);
    const artifactId = `hb_${createHash('sha256').update(run.run_id).update('\0').update(k).update('\0').update(bytes).digest('hex').slice(0, 32)}`;
    await plane.runtime.putArtifact(bytes, {
      artifact_id: artifactId,
      run_id: run.run_id,
      content_type: typeof v === 'string' ? 'text/plain' : 'application/json',
      tags: { source: 'history_bundle', kind: 'input_data', path: `input_data.${k}` },
    });
    out[k] = { $artifact: artifactId };
  }
  return out;
}

const firstText = (...vs: unknown[]): string | null => {
  for (const v of vs) if (typeof v === 'string' && v.trim()) return v.trim();
  return null;
};

/** A condensed session turn: the root run with its prompt and answer (no per-turn stats). */
function sessionTurn(s: StoredRun) {
  const { run } = s;
  const vars = isPlainObject(run.vars) ? run.vars : {};
  const ctx = isPlainObject(vars.context) ? vars.context : {};
  const out = isPlainObject(run.output) ? run.output : {};
  const nested = isPlainObject(out.result) ? out.result : isPlainObject(out.output) ? out.output : {};
  const scheduled = run.workflow_id.startsWith('scheduled:') || isPlainObject(vars._meta?.schedule);
  return {
    run_id: run.run_id,
    workflow_id: run.workflow_id || null,
    kind: scheduled ? 'scheduled' : Array.isArray(ctx.messages) ? 'chat' : 'run',
    status: run.status,
    created_at: run.created_at || null,
    updated_at: run.updated_at || null,
    prompt: firstText(vars.prompt, vars.message, vars.task, ctx.task, ctx.message),
    attachments: Array.isArray(ctx.attachments) ? ctx.attachments.filter(isPlainObject) : [],
    answer: firstText(out.response, out.answer, out.message, out.text, out.content, nested.response, nested.answer, nested.message, nested.text, nested.content),
  };
}

async function sessionTurns(plane: DataPlane, root: RunState, limit: number) {
  const untilMs = parseIsoMs(root.created_at);
  const rows = await plane.runtime.listRuns({ session_id: root.session_id!, root_only: true, limit: Math.max(1000, limit * 5) });
  const turns = rows
    .filter((r) => !r.run.workflow_id.startsWith('__') && !(parseIsoMs(r.run.created_at) > untilMs))
    .sort((a, b) => parseIsoMs(a.run.created_at) - parseIsoMs(b.run.created_at))
    .map(sessionTurn);
  // Chat turns win over scheduled wrappers and plain runs when a session has any.
  const chat = turns.filter((t) => t.kind === 'chat');
  return (chat.length > 0 ? chat : turns).slice(-limit);
}

/** The parts of an export fixed before its first byte: errors here still answer with a status. */
interface ExportPlan {
  head: Record<string, unknown>;
  tree: StoredRun[];
  more: boolean;
}

async function planExport(plane: DataPlane, runId: string, o: HistoryBundleOptions, limits: HistoryLimits): Promise<ExportPlan> {
  const root = await loadRun(plane, runId);
  const { run } = root;
  const { tree, more } = o.include_subruns ? await runTree(plane, root, limits.maxRuns) : { tree: [root], more: false };
  const snapshot = run.vars?._runtime?.workflow_snapshot;
  const head = {
    version: 1,
    generated_at: isoFromMs(plane.runtime.clock.nowMs()),
    root_run_id: run.run_id,
    run: {
      run_id: run.run_id,
      workflow_id: run.workflow_id,
      status: run.status,
      current_node: run.current_node,
      created_at: run.created_at,
      updated_at: run.updated_at,
      actor_id: run.actor_id,
      session_id: run.session_id,
      parent_run_id: run.parent_run_id,
      error: run.error,
      waiting: run.waiting,
    },
    workflow_snapshot: isPlainObject(snapshot) && snapshot.artifact_id ? snapshot : null,
    input_data: await boundedInputs(plane, run),
  };
  return { head, tree, more };
}

/** Records [start, start+count) of a run as `items` JSON, page by page; collects their timeline items' JSON. */
async function* ledgerItems(plane: DataPlane, runId: string, start: number, count: number, timeline: string[]): AsyncGenerator<string> {
  for (let done = 0; done < count; ) {
    const page = await plane.runtime.readLedgerJson(runId, start + done, Math.min(LEDGER_PAGE, count - done));
    // The header of this ledger already promised `count` records; the ledger only grows, so a short read is a fault.
    if (page.json.length === 0) throw internal(`Ledger of run '${runId}' ended at cursor ${start + done}, before ${start + count}`);
    const sep = done > 0 ? ',' : '';
    const items: string[] = [];
    for (const json of page.json) {
      const cursor = start + ++done;
      items.push(`{"cursor":${cursor},"record":${json}}`);
      timeline.push(JSON.stringify(timelineItem(runId, cursor, JSON.parse(json) as StepRecord)));
    }
    yield sep + items.join(',');
    await takeTurn();
  }
}

async function* bundleChunks(plane: DataPlane, plan: ExportPlan, o: HistoryBundleOptions, limits: HistoryLimits): AsyncGenerator<string> {
  const tail = o.ledger_mode === 'tail' && o.ledger_max_items > 0;
  const timeline: string[] = [];
  let recordsLeft = limits.maxRecords;
  let recordsOmitted = 0;
  yield `${JSON.stringify(plan.head).slice(0, -1)},"ledgers":{`;
  for (const [i, { run: r, ledger_len: total }] of plan.tree.entries()) {
    const wanted = tail ? Math.min(total, o.ledger_max_items) : total;
    const kept = Math.min(wanted, recordsLeft);
    recordsLeft -= kept;
    recordsOmitted += wanted - kept;
    const start = total - kept;
    const id = JSON.stringify(r.run_id);
    yield `${i > 0 ? ',' : ''}${id}:{"run_id":${id},"total":${total},"cursor_start":${start + 1},"cursor_end":${total},"items":[`;
    yield* ledgerItems(plane, r.run_id, start, kept, timeline);
    yield `],"artifacts":${JSON.stringify(await runArtifacts(plane, r.run_id))}}`;
  }
  yield '},"timeline":[';
  for (let i = 0; i < timeline.length; i += TIMELINE_CHUNK) {
    yield (i > 0 ? ',' : '') + timeline.slice(i, i + TIMELINE_CHUNK).join(',');
    await takeTurn();
  }
  const { run } = plan.tree[0];
  const session = o.include_session && run.session_id ? { session_id: run.session_id, turns: await sessionTurns(plane, run, o.session_turn_limit) } : null;
  const truncated: Truncation | null =
    plan.more || recordsOmitted > 0 ? { runs_omitted: plan.more, records_omitted: recordsOmitted, max_runs: limits.maxRuns, max_records: limits.maxRecords } : null;
  yield `],"session":${JSON.stringify(session)},"truncated":${JSON.stringify(truncated)}}`;
}

/**
 * The export of `runId` as JSON text chunks. The run is looked up, the tree listed and the
 * inputs bounded before this resolves, so an unknown run is still a 404; a fault after that
 * can only end the stream early.
 */
export async function historyBundle(plane: DataPlane, runId: string, o: HistoryBundleOptions, limits: HistoryLimits): Promise<AsyncIterable<string>> {
  return bundleChunks(plane, await planExport(plane, runId, o, limits), o, limits);
}
