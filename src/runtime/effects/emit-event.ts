// emit_event from inside a flow (spec runtime-visualflow §3.4.3): resumes matching waiters
// in the emitter's step transaction.

import type { EffectHandler } from './types.js';
import { deliverEvent, eventKey, normalizeScope, wrapEventPayload } from '../events.js';
import { isoFromMs } from '../../model/time.js';

export const emitEvent: EffectHandler = {
  mode: 'transactional',
  async run(call, { tx }) {
    const p = call.effect.payload;
    const run = call.run;
    const name = String(p.name ?? p.event_name ?? '').trim();
    if (!name) return { status: 'failed', error: 'emit_event requires payload.name' };
    const scope = normalizeScope(p.scope);
    const sessionId = (typeof p.session_id === 'string' && p.session_id) || run.session_id || run.run_id;
    const scopeId = scope === 'session' ? sessionId : scope === 'workflow' ? run.workflow_id : run.run_id;
    const key = eventKey(scope, scopeId, name);
    const envelope = {
      event_id: p.event_id ?? null,
      name,
      scope,
      session_id: sessionId,
      payload: wrapEventPayload(p.payload),
      emitted_at: isoFromMs(call.now_ms),
      emitter: { run_id: run.run_id, workflow_id: run.workflow_id, node_id: call.node_id },
    };
    const keys = name === '*' ? [key] : [key, eventKey(scope, scopeId, '*')];
    const d = await deliverEvent(tx, keys, envelope);
    return { status: 'completed', result: { wait_key: key, name, scope, ...d } };
  },
};
