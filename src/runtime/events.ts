// Event wait keys and delivery (spec runtime-visualflow §3.4.3). Delivery happens inside the
// emitter's transaction, so an event committed after a wait was registered always finds it.

import type { StoreTx } from '../store/types.js';
import type { JsonObject } from '../model/run.js';
import { isPaused, isPauseWait } from './control.js';
import { resumeRun } from './transitions.js';
import { isPlainObject } from '../model/json.js';

export const EVENT_SCOPES = ['session', 'workflow', 'run', 'global'] as const;
export type EventScope = (typeof EVENT_SCOPES)[number];
const MAX_DELIVERIES = 10_000;

export class EventError extends Error {}

export function normalizeScope(scope: unknown): EventScope {
  const s = typeof scope === 'string' ? scope.trim().toLowerCase() : '';
  if (s === '') return 'session';
  if ((EVENT_SCOPES as readonly string[]).includes(s)) return s as EventScope;
  throw new EventError(`Unknown event scope '${String(scope)}' (expected session|workflow|run|global)`);
}

export function eventKey(scope: EventScope, scopeId: string | null | undefined, name: string): string {
  if (!name) throw new EventError('Event name is required');
  const id = scope === 'global' ? 'global' : scopeId;
  if (!id) throw new EventError(`Event scope '${scope}' needs a scope id`);
  return `evt:${scope}:${id}:${name}`;
}

/** Non-object event payloads are wrapped as {value}; a missing payload becomes {}. */
export function wrapEventPayload(p: unknown): JsonObject {
  if (p === undefined || p === null) return {};
  return isPlainObject(p) ? p : { value: p };
}

export interface Delivery {
  delivered: number;
  delivered_to: string[];
  resumed: { run_id: string; status: string; error?: string }[];
}

/** Resume every non-paused run waiting on one of `keys` with the event envelope. */
export async function deliverEvent(tx: StoreTx, keys: string[], envelope: JsonObject): Promise<Delivery> {
  const out: Delivery = { delivered: 0, delivered_to: [], resumed: [] };
  for (const found of await tx.findWaitingRuns('event', keys, MAX_DELIVERIES)) {
    // Resuming one waiter can change another in this same transaction (a root ending cancels
    // its listeners): act on the current state, never on the list's snapshot.
    const target = await tx.getRun(found.run.run_id);
    const w = target?.run.waiting;
    if (!target || target.run.status !== 'waiting' || w?.wait_key !== found.run.waiting?.wait_key) continue;
    if (isPaused(target.run) || isPauseWait(w ?? null)) {
      out.resumed.push({ run_id: target.run.run_id, status: 'skipped', error: 'Run is paused' });
      continue;
    }
    const r = await resumeRun(tx, target, w?.wait_key ?? null, envelope);
    if (r.ok) {
      out.delivered += 1;
      out.delivered_to.push(target.run.run_id);
      out.resumed.push({ run_id: target.run.run_id, status: 'running' });
    } else {
      out.resumed.push({ run_id: target.run.run_id, status: 'error', error: r.reason });
    }
  }
  return out;
}
