// Applying inbox commands (spec core-api §5.3). Each command is applied and its outcome
// recorded in ONE transaction, so it takes effect exactly once; a command that cannot apply
// is recorded as rejected with a reason clients can read.

import type { StoreTx } from '../store/types.js';
import type { CommandRecord } from '../model/command.js';
import type { JsonObject } from '../model/run.js';
import { isTerminal } from '../model/run.js';
import { cancelTree, pauseTree, resumeRun, unpauseTree, type Applied } from './transitions.js';
import { deliverEvent, eventKey, EventError, normalizeScope, wrapEventPayload } from './events.js';
import { isPlainObject } from '../model/json.js';

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);
const reasonOf = (p: JsonObject): string | null => str(p.reason);

async function onTree(tx: StoreTx, cmd: CommandRecord, fn: (root: NonNullable<Awaited<ReturnType<StoreTx['getRun']>>>) => Promise<void>): Promise<Applied> {
  const root = await tx.getRun(cmd.run_id);
  if (!root) return { ok: false, reason: `Run '${cmd.run_id}' not found` };
  if (isTerminal(root.run.status)) return { ok: false, reason: `Run is terminal (${root.run.status})` };
  await fn(root);
  return { ok: true };
}

async function resumeWaiting(tx: StoreTx, cmd: CommandRecord): Promise<Applied> {
  const p = cmd.payload;
  if (!isPlainObject(p.payload)) return { ok: false, reason: 'payload.payload must be an object' };
  const run = await tx.getRun(cmd.run_id);
  if (!run) return { ok: false, reason: `Run '${cmd.run_id}' not found` };
  return resumeRun(tx, run, str(p.wait_key) ?? str(p.waitKey), p.payload);
}

async function emitExternal(tx: StoreTx, cmd: CommandRecord): Promise<Applied> {
  const p = cmd.payload;
  const name = str(p.name)?.trim();
  if (!name) return { ok: false, reason: 'emit_event requires payload.name' };
  let key: string;
  const sessionId = str(p.session_id) ?? str(p.sessionId) ?? cmd.run_id;
  let scope;
  try {
    scope = normalizeScope(p.scope);
    const scopeId =
      scope === 'session' ? sessionId : scope === 'workflow' ? str(p.workflow_id) ?? str(p.workflowId) : scope === 'run' ? str(p.run_id) ?? str(p.runId) : 'global';
    key = eventKey(scope, scopeId, name);
  } catch (e) {
    if (e instanceof EventError) return { ok: false, reason: e.message };
    throw e;
  }
  await deliverEvent(tx, [key], {
    event_id: p.event_id ?? p.eventId ?? null,
    name,
    scope,
    session_id: sessionId,
    payload: wrapEventPayload(p.payload),
    emitted_at: p.emitted_at ?? p.emittedAt ?? tx.nowIso(),
    emitter: { source: 'external', client_id: cmd.client_id },
  });
  return { ok: true };
}

async function apply(tx: StoreTx, cmd: CommandRecord): Promise<Applied> {
  const p = isPlainObject(cmd.payload) ? cmd.payload : {};
  switch (cmd.type) {
    case 'pause':
      return onTree(tx, cmd, (root) => pauseTree(tx, root, reasonOf(p)));
    case 'cancel':
      return onTree(tx, cmd, (root) => cancelTree(tx, root, reasonOf(p)));
    case 'resume':
      // The presence of payload.payload selects "answer a wait" over "un-pause the tree".
      return 'payload' in p ? resumeWaiting(tx, { ...cmd, payload: p }) : onTree(tx, cmd, (root) => unpauseTree(tx, root));
    case 'emit_event':
      return emitExternal(tx, { ...cmd, payload: p });
    case 'update_schedule':
    case 'compact_memory':
      return { ok: false, reason: `${cmd.type} is not supported yet (scheduled runs are not available)` };
    default:
      return { ok: false, reason: `Unknown command type '${String(cmd.type)}'` };
  }
}

/** Apply one pending command and record its outcome, atomically. */
export async function applyCommand(tx: StoreTx, cmd: CommandRecord): Promise<Applied> {
  const r = await apply(tx, cmd);
  await tx.settleCommand(cmd.seq, r.ok ? 'applied' : 'rejected', r.ok ? null : r.reason, tx.nowIso());
  return r;
}
