// User-interaction, event and timer nodes (spec §4.6.6, §5.9, §5.10).

import type { JsonObject, StepPlan } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import { isoFromMs, parseIsoMs } from '../../model/time.js';
import { pyFloat, pyStr, pyTruthy } from '../py.js';
import { pushControl } from '../engine/control-stack.js';
import { coerceBool, effectPlan, inputOrConfig, nonBlank, pendingPlan } from '../engine/effect.js';
import type { ExecNode, GraphNode } from '../engine/graph.js';
import { ensureObject, tempOf } from '../engine/run-vars.js';
import type { StepScope } from '../engine/scope.js';
import type { NodeDefinition } from './definition.js';

const SCOPES = new Set(['session', 'workflow', 'run', 'global']);
const normalizeScope = (raw: any): string => {
  const v = (raw == null ? '' : pyStr(raw)).trim().toLowerCase();
  return SCOPES.has(v) ? v : 'session';
};

function askUserStep(n: ExecNode, s: StepScope): StepPlan {
  const inputs = s.resolveInputs(n);
  const allowFreeText = n.data.effectConfig?.allowFreeText ?? true;
  return pendingPlan(n, { type: 'ask_user', prompt: inputs.prompt ?? 'Please respond:', choices: inputs.choices ?? [], allow_free_text: allowFreeText });
}

const LEVELS: Record<string, string> = { warn: 'warning', info: 'message', message: 'message', warning: 'warning', error: 'error' };

function answerUserStep(n: ExecNode, s: StepScope): StepPlan {
  const inputs = s.resolveInputs(n);
  const message = inputs.message == null ? '' : pyStr(inputs.message);
  const level = LEVELS[nonBlank(inputs.level).toLowerCase()] ?? 'message';
  return pendingPlan(n, { type: 'answer_user', message, level });
}

function waitEventStep(n: ExecNode, s: StepScope): StepPlan {
  const inputs = s.resolveInputs(n);
  const pending: JsonObject & { type: string } = { type: 'wait_event', wait_key: inputs.event_key ?? 'default' };
  if (nonBlank(inputs.prompt)) pending.prompt = inputs.prompt;
  if (Array.isArray(inputs.choices)) pending.choices = inputs.choices.filter((c: any) => nonBlank(c)).map(String);
  const aft = inputs.allow_free_text ?? inputs.allowFreeText;
  pending.allow_free_text = aft == null ? true : pyTruthy(aft);
  return pendingPlan(n, pending);
}

function listenVoiceStep(n: ExecNode, s: StepScope): StepPlan {
  const inputs = s.resolveInputs(n);
  const cfg = n.data.effectConfig ?? {};
  const pick = (...keys: string[]) => inputOrConfig(inputs, cfg, keys);
  const details: JsonObject = { input_mode: 'voice', content_types: ['audio/wav', 'audio/mpeg', 'audio/webm'] };
  if (nonBlank(pick('language'))) details.language = nonBlank(pick('language'));
  if (nonBlank(pick('stt_provider', 'sttProvider', 'provider_voice'))) details.provider = nonBlank(pick('stt_provider', 'sttProvider', 'provider_voice'));
  if (nonBlank(pick('stt_model', 'sttModel', 'model_voice'))) details.model = nonBlank(pick('stt_model', 'sttModel', 'model_voice'));
  const maxDuration = Number(pick('max_duration_s', 'maxDurationS'));
  if (pick('max_duration_s', 'maxDurationS') != null && Number.isFinite(maxDuration)) details.max_duration_s = maxDuration;
  return pendingPlan(n, {
    type: 'wait_event',
    wait_key: pyStr(pick('wait_key', 'event_key') ?? 'voice_input'),
    prompt: pyStr(pick('prompt') ?? 'Speak now.'),
    allow_free_text: true,
    details,
  });
}

const DURATION_MS: Record<string, number> = { seconds: 1000, minutes: 60_000, hours: 3_600_000 };

function waitUntilStep(n: ExecNode, s: StepScope): StepPlan {
  const duration = s.resolveInputs(n).duration ?? 0;
  const durationType = n.data.effectConfig?.durationType ?? 'seconds';
  let until: string;
  if (durationType === 'timestamp') until = duration ? pyStr(duration) : '';
  else {
    let amount = 0;
    try {
      amount = pyFloat(duration);
    } catch {
      amount = 0; // non-numeric durations mean "now"
    }
    until = isoFromMs(s.ctx.nowMs() + amount * (DURATION_MS[durationType] ?? 1000));
  }
  return pendingPlan(n, { type: 'wait_until', until });
}

function emitEventStep(n: ExecNode, s: StepScope): StepPlan {
  const inputs = s.resolveInputs(n);
  const cfg = n.data.effectConfig ?? {};
  const name = (inputs.name || inputs.event_name || cfg.name || '').toString().trim();
  if (!name) throw new Error(`emit_event node '${n.id}' missing event name`);
  const scope = normalizeScope('scope' in inputs ? inputs.scope : cfg.scope ?? 'session');
  const raw = inputs.payload;
  const payload = isPlainObject(raw) ? { ...raw } : raw == null ? {} : { value: raw };
  const sessionId = nonBlank(inputs.session_id ?? cfg.session_id ?? cfg.sessionId);
  const seqs = ensureObject(tempOf(s.vars), 'event_seq');
  const seq = (Number(seqs[n.id]) || 0) + 1;
  seqs[n.id] = seq;
  const eff: JsonObject = { scope, name, payload, event_id: `${s.run.run_id}:${n.id}:${seq}`, max_steps: 0 };
  if (sessionId) eff.session_id = sessionId;
  return effectPlan(n, 'emit_event', eff);
}

function onEventStep(n: ExecNode, s: StepScope): StepPlan {
  let inputs: JsonObject = {};
  try {
    inputs = s.resolveInputs(n);
  } catch {
    inputs = {}; // a listener must keep listening even if its optional pins fail
  }
  const cfg = n.data.eventConfig ?? {};
  const name = String(inputs.name || inputs.event_name || cfg.name || '').trim() || '*';
  const scope = normalizeScope('scope' in inputs ? inputs.scope : cfg.scope ?? 'session');
  pushControl(s.vars, n.id);
  return effectPlan(n, 'wait_event', { scope, name, resume_to_node: n.control.next || n.id });
}

const INTERVAL_RE = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function onScheduleStep(n: ExecNode, s: StepScope): StepPlan {
  let inputs: JsonObject = {};
  try {
    inputs = s.resolveInputs(n);
  } catch {
    inputs = {};
  }
  const cfg = n.data.eventConfig ?? {};
  const schedule = String(inputs.schedule || cfg.schedule || '15s').trim();
  let recurrent = coerceBoolish('recurrent' in inputs ? inputs.recurrent : cfg.recurrent, true);
  const m = INTERVAL_RE.exec(schedule);
  let untilMs: number;
  if (m) untilMs = s.ctx.nowMs() + Number(m[1]) * UNIT_MS[m[2].toLowerCase()];
  else {
    untilMs = parseIsoMs(schedule);
    if (Number.isNaN(untilMs)) throw new Error(`Invalid schedule '${schedule}': expected interval like '30s', '5m', '1h' or an ISO timestamp`);
    recurrent = false; // an absolute instant fires once
  }
  if (recurrent) pushControl(s.vars, n.id);
  return effectPlan(n, 'wait_until', { until: isoFromMs(untilMs) });
}

const coerceBoolish = (v: any, dflt: boolean): boolean => (v == null ? dflt : typeof v === 'string' ? coerceBool(v) : pyTruthy(v));

/** Every key of the raw result is a pin. */
const spread = (raw: any): JsonObject => (isPlainObject(raw) ? { ...raw } : { result: raw });

function listenVoiceOutputs(raw: any): JsonObject {
  if (!isPlainObject(raw)) return { event_data: raw };
  const out: JsonObject = { ...raw };
  const audio = raw.audio_artifact || raw.artifact || raw.artifact_ref;
  if (isPlainObject(audio)) {
    out.audio_artifact = audio;
    out.artifact_ref = audio;
    const id = nonBlank(audio.$artifact) || nonBlank(audio.artifact_id);
    if (id) out.artifact_id = id;
  }
  return out;
}

const onEventOutputs = (raw: any): JsonObject =>
  isPlainObject(raw) ? { event: raw, payload: raw.payload ?? null, event_id: raw.event_id ?? null, name: raw.name ?? null } : { event: raw };

function onScheduleOutputs(raw: any, n: GraphNode): JsonObject {
  const cfg = n.data.eventConfig ?? {};
  const schedule = cfg.schedule == null ? '' : String(cfg.schedule).trim();
  // An ISO schedule is one-shot whatever the config says.
  const recurrent = (cfg.recurrent == null || Boolean(cfg.recurrent)) && !(schedule && !INTERVAL_RE.test(schedule));
  if (!isPlainObject(raw)) return { timestamp: raw, recurrent };
  return { ...raw, timestamp: raw.timestamp ?? raw.scheduled_for ?? null, recurrent };
}

export const EVENT_NODES: NodeDefinition[] = [
  { type: 'ask_user', kind: 'effect', effect: 'ask_user', step: askUserStep, outputs: spread },
  { type: 'answer_user', kind: 'effect', effect: 'answer_user', step: answerUserStep, outputs: (raw) => (isPlainObject(raw) ? { ...raw } : { message: raw }) },
  { type: 'wait_event', kind: 'effect', effect: 'wait_event', step: waitEventStep, outputs: (raw) => ({ event_data: raw }) },
  { type: 'listen_voice', kind: 'effect', effect: 'wait_event', step: listenVoiceStep, outputs: listenVoiceOutputs },
  { type: 'wait_until', kind: 'effect', effect: 'wait_until', step: waitUntilStep, outputs: spread },
  { type: 'emit_event', kind: 'effect', effect: 'emit_event', step: emitEventStep, outputs: spread },
  { type: 'on_event', kind: 'effect', effect: 'wait_event', step: onEventStep, outputs: onEventOutputs },
  { type: 'on_schedule', kind: 'effect', effect: 'wait_until', step: onScheduleStep, outputs: onScheduleOutputs },
];
