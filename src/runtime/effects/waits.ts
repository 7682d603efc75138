// Kernel effects that only touch the run itself: user prompts, messages, waits and timers
// (spec runtime-visualflow §3.4).

import type { EffectHandler, EffectCall } from './types.js';
import type { EffectOutcome, WaitState } from '../../model/run.js';
import { eventKey, normalizeScope } from '../events.js';
import { pyStr } from '../../flow/py.js';
import { isPlainObject } from '../../model/json.js';
import { isoFromMs, parseIsoMs } from '../../model/time.js';

function wait(call: EffectCall, w: Partial<WaitState> & Pick<WaitState, 'reason'>): EffectOutcome {
  const p = call.effect.payload;
  return {
    status: 'waiting',
    wait: {
      reason: w.reason,
      wait_key: w.wait_key ?? null,
      until: w.until ?? null,
      resume_to_node: (typeof p.resume_to_node === 'string' && p.resume_to_node) || call.default_next,
      result_key: call.effect.result_key,
      prompt: w.prompt ?? null,
      choices: w.choices ?? null,
      allow_free_text: w.allow_free_text ?? true,
      details: w.details ?? null,
    },
  };
}

function stringList(v: unknown): string[] | null {
  return Array.isArray(v) ? v.filter((c) => typeof c === 'string' && c.trim() !== '').map(String) : null;
}

function allowFreeText(p: Record<string, any>): boolean {
  const v = p.allow_free_text ?? p.allowFreeText;
  return v === undefined || v === null ? true : v !== false;
}

export const askUser: EffectHandler = {
  mode: 'inline',
  run(call) {
    const p = call.effect.payload;
    const prompt = typeof p.prompt === 'string' ? p.prompt.trim() : '';
    if (!prompt) return { status: 'failed', error: 'ask_user requires payload.prompt' };
    return wait(call, {
      reason: 'user',
      wait_key: (typeof p.wait_key === 'string' && p.wait_key) || `user:${call.run.run_id}:${call.run.current_node}`,
      prompt: p.prompt,
      choices: Array.isArray(p.choices) ? p.choices.map((c: unknown) => pyStr(c)) : null,
      allow_free_text: allowFreeText(p),
    });
  },
};

const LEVELS: Record<string, string> = { warn: 'warning', warning: 'warning', error: 'error', info: 'message', message: 'message' };

export const answerUser: EffectHandler = {
  mode: 'inline',
  run(call) {
    const p = call.effect.payload;
    const message = p.message ?? p.text ?? p.content;
    if (message === undefined || message === null) return { status: 'failed', error: 'answer_user requires payload.message' };
    const level = LEVELS[String(p.level ?? 'message').trim().toLowerCase()] ?? 'message';
    return { status: 'completed', result: { message: pyStr(message), level } };
  },
};

export const waitEvent: EffectHandler = {
  mode: 'inline',
  run(call) {
    const p = call.effect.payload;
    let key = typeof p.wait_key === 'string' && p.wait_key ? p.wait_key : null;
    if (!key) {
      const name = String(p.name ?? p.event_name ?? '').trim();
      const scope = normalizeScope(p.scope);
      const scopeId =
        scope === 'session' ? p.session_id || call.run.session_id || call.run.run_id : scope === 'workflow' ? call.run.workflow_id : call.run.run_id;
      key = eventKey(scope, scopeId, name);
    }
    return wait(call, {
      reason: 'event',
      wait_key: key,
      prompt: typeof p.prompt === 'string' ? p.prompt : null,
      choices: stringList(p.choices),
      allow_free_text: allowFreeText(p),
      details: isPlainObject(p.details) ? p.details : null,
    });
  },
};

export const waitUntil: EffectHandler = {
  mode: 'inline',
  run(call) {
    const raw = call.effect.payload.until;
    const ms = typeof raw === 'string' ? parseIsoMs(raw) : NaN;
    if (Number.isNaN(ms)) return { status: 'failed', error: `wait_until requires an ISO instant in payload.until (got ${JSON.stringify(raw ?? null)})` };
    const until = isoFromMs(ms);
    if (call.now_ms >= ms) return { status: 'completed', result: { until, ready: true } };
    return wait(call, { reason: 'until', until });
  },
};
