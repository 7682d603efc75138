// Output pins of effect nodes, derived from the raw effect outcome stored at
// `vars._temp.effects[<node>]` (spec §4.4 rule 3 and the §5 mapping tables).

import { isPlainObject } from '../../model/json.js';
import { pyStr } from '../py.js';
import { type FlowGraph, type GraphNode, pinRef } from './graph.js';
import { MEDIA_SPECS, type MediaSpec } from './media-specs.js';

type Out = Record<string, any>;
export type OutputMapper = (raw: any, n: GraphNode, g: FlowGraph) => Out;

const dictList = (v: any): Out[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);
const nonBlank = (v: any): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);
const isStructured = (v: any): boolean => isPlainObject(v) || Array.isArray(v);

/** Every key of the raw result is a pin (ask_user, emit_event, wait_until…). */
const spread = (raw: any): Out => (isPlainObject(raw) ? { ...raw } : { result: raw });

function artifactFromItem(item: any): Out | null {
  if (!isPlainObject(item)) return null;
  const ref = item.artifact_ref;
  if (isPlainObject(ref)) {
    const id = nonBlank(ref.$artifact) ?? nonBlank(ref.artifact_id) ?? nonBlank(ref.id);
    if (id) return { ...ref, $artifact: id, artifact_id: id };
  }
  const id = nonBlank(item.$artifact) ?? nonBlank(item.artifact_id);
  if (!id) return null;
  const out: Out = { $artifact: id, artifact_id: id };
  if (nonBlank(item.content_type)) out.content_type = item.content_type.trim();
  if (item.size_bytes != null && typeof item.size_bytes !== 'boolean') out.size_bytes = item.size_bytes;
  return out;
}

/** First generated artifact: `artifact_ref`, then `artifact_id`, then outputs/resources items. */
function firstArtifact(raw: Out): Out | null {
  const direct = artifactFromItem({ artifact_ref: raw.artifact_ref });
  if (direct) return direct;
  const topId = nonBlank(raw.artifact_id);
  if (topId) return { $artifact: topId, artifact_id: topId };
  for (const bucket of [raw.outputs, raw.resources]) {
    if (!isPlainObject(bucket)) continue;
    for (const items of Object.values(bucket)) {
      for (const item of Array.isArray(items) ? items : []) {
        const ref = artifactFromItem(item);
        if (ref) return ref;
      }
    }
  }
  return null;
}

const hasGenerated = (v: any): boolean => isPlainObject(v) && Object.values(v).some((items) => Array.isArray(items) && items.length > 0);

function mapLlmCall(raw: any, n: GraphNode, g: FlowGraph): Out {
  if (!isPlainObject(raw)) return {};
  const toolCalls = dictList(raw.tool_calls);
  const structured = isStructured(raw.data);
  const response = structured ? JSON.stringify(raw.data) : raw.content == null ? '' : pyStr(raw.content);
  const out: Out = { response, tool_calls: toolCalls, success: true };
  if (structured) out.data = raw.data;
  if (isPlainObject(raw.outputs)) out.outputs = raw.outputs;
  if (isPlainObject(raw.resources)) out.resources = raw.resources;
  const artifact = firstArtifact(raw);
  if (artifact) {
    out.artifact_id = artifact.artifact_id;
    out.artifact_ref = artifact;
  }
  const media = hasGenerated(raw.outputs) || hasGenerated(raw.resources);
  const meta: Out = {
    schema: 'abstractflow.llm_call.v1.meta',
    version: 1,
    output_mode: media ? 'media' : structured ? 'structured' : 'unstructured',
    tool_calls: toolCalls.length,
  };
  for (const key of ['provider', 'model', 'finish_reason']) if (nonBlank(raw[key])) meta[key] = raw[key].trim();
  if (isPlainObject(raw.usage)) meta.usage = { ...raw.usage };
  const traceId = nonBlank(raw.trace_id) ?? nonBlank(raw.metadata?.trace_id);
  if (traceId) meta.trace = { trace_id: traceId };
  for (const key of ['gen_time', 'ttft_ms']) if (raw[key] != null && typeof raw[key] !== 'boolean') meta[key] = raw[key];
  out.meta = meta;
  // Legacy pins exist only when a data edge reads them.
  const wired = (pin: string) => g.referencedPins.has(pinRef(n.id, pin));
  for (const pin of ['result', 'raw']) if (wired(pin)) out[pin] = raw;
  for (const pin of ['gen_time', 'ttft_ms']) if (wired(pin)) out[pin] = raw[pin] ?? null;
  return out;
}

function mapMedia(spec: MediaSpec, type: string): OutputMapper {
  return (raw) => {
    if (!isPlainObject(raw)) return {};
    const artifact = firstArtifact(raw);
    if (spec.task === 'transcription') {
      const textObj = isPlainObject(raw.text) ? raw.text.content : null;
      const text = textObj != null && pyStr(textObj) !== '' ? pyStr(textObj) : raw.content != null ? pyStr(raw.content) : '';
      const out: Out = { text, success: true, raw };
      if (artifact) Object.assign(out, { artifact_ref: artifact, transcript_artifact: artifact, artifact_id: artifact.artifact_id });
      out.meta = { schema: 'abstractflow.transcribe_audio.v1.meta', version: 1, modality: 'text', task: 'transcription' };
      return out;
    }
    const out: Out = { outputs: isPlainObject(raw.outputs) ? raw.outputs : {} };
    if (isPlainObject(raw.resources)) out.resources = raw.resources;
    if (artifact) {
      out.artifact_ref = artifact;
      for (const pin of spec.primaryPins) out[pin] = artifact;
      if (nonBlank(artifact.content_type)) out.content_type = artifact.content_type.trim();
      out.artifact_id = artifact.artifact_id;
    }
    out.success = artifact !== null;
    const meta: Out = { schema: `abstractflow.${type}.v1.meta`, version: 1, modality: spec.metaModality };
    for (const key of ['provider', 'model']) if (raw[key] != null) meta[key] = raw[key];
    out.meta = meta;
    out.raw = raw;
    return out;
  };
}

function mapSubflow(raw: any, n: GraphNode): Out {
  if (!isPlainObject(raw)) return { output: raw };
  const o = raw.output;
  const out: Out = { sub_run_id: raw.sub_run_id ?? null };
  const result = isPlainObject(o) && 'result' in o ? o.result : o;
  out.output = result ?? null;
  if (isPlainObject(o)) out.child_output = o;
  const pins = n.outputPins.filter((p) => p !== 'output');
  if (isPlainObject(result)) for (const pin of pins) out[pin] = result[pin] ?? null;
  else if (pins.length === 1) out[pins[0]] = result ?? null;
  return out;
}

function mapToolCalls(raw: any): Out {
  if (!isPlainObject(raw)) return {};
  const results = Array.isArray(raw.results) ? raw.results : [];
  const notExecuted = nonBlank(raw.mode) !== null && raw.mode !== 'executed';
  return { results, success: notExecuted ? false : results.every((r: any) => isPlainObject(r) && r.success === true), raw };
}

function mapCallTool(raw: any): Out {
  if (!isPlainObject(raw)) return {};
  const first = Array.isArray(raw.results) ? raw.results[0] : undefined;
  if (nonBlank(raw.mode) !== null && raw.mode !== 'executed') return { success: false, result: `Tool execution not completed (mode=${raw.mode})`, raw };
  if (!isPlainObject(first)) return { success: false, result: 'Missing tool result', raw };
  const ok = first.success === true;
  return { success: ok, result: ok ? first.output ?? null : first.error || 'Tool execution failed', raw };
}

function mapModelResidency(raw: any, n: GraphNode, g: FlowGraph): Out {
  if (!isPlainObject(raw)) return { success: false, affected_models: [], models: [], error: pyStr(raw), warnings: raw == null ? [] : [pyStr(raw)], result: raw };
  const success = typeof raw.success === 'boolean' ? raw.success : typeof raw.ok === 'boolean' ? raw.ok : !raw.error;
  const affected = Array.isArray(raw.affected_models) ? raw.affected_models : isPlainObject(raw.runtime) ? [raw.runtime] : Array.isArray(raw.models) ? raw.models : [];
  const out: Out = {
    success,
    affected_models: affected,
    models: Array.isArray(raw.models) ? raw.models : affected,
    error: raw.error ? pyStr(raw.error) : '',
    warnings: Array.isArray(raw.warnings) ? raw.warnings : [],
    result: raw,
  };
  for (const pin of ['runtime', 'loaded_new', 'unloaded']) if (g.referencedPins.has(pinRef(n.id, pin))) out[pin] = raw[pin] ?? null;
  return out;
}

function mapListenVoice(raw: any): Out {
  if (!isPlainObject(raw)) return { event_data: raw };
  const out: Out = { ...raw };
  const audio = raw.audio_artifact || raw.artifact || raw.artifact_ref;
  if (isPlainObject(audio)) {
    out.audio_artifact = audio;
    out.artifact_ref = audio;
    const id = nonBlank(audio.$artifact) ?? nonBlank(audio.artifact_id);
    if (id) out.artifact_id = id;
  }
  return out;
}

function mapOnSchedule(raw: any, n: GraphNode): Out {
  const cfg = n.data.eventConfig ?? {};
  const schedule = cfg.schedule == null ? '' : String(cfg.schedule).trim();
  // An ISO schedule is one-shot whatever the config says.
  const recurrent = (cfg.recurrent == null || Boolean(cfg.recurrent)) && !(schedule && !/^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)\s*$/i.test(schedule));
  if (!isPlainObject(raw)) return { timestamp: raw, recurrent };
  return { ...raw, timestamp: raw.timestamp ?? raw.scheduled_for ?? null, recurrent };
}

/** `results[0].meta.span_id` of a memory tool-style envelope. */
const firstResult = (raw: any): Out => (isPlainObject(raw) && Array.isArray(raw.results) && isPlainObject(raw.results[0]) ? raw.results[0] : {});

function mapMemoryQuery(raw: any): Out {
  const first = firstResult(raw);
  const meta = isPlainObject(first.meta) ? first.meta : {};
  return {
    rendered: typeof first.output === 'string' ? first.output : '',
    results: Array.isArray(meta.matches) ? meta.matches : [],
    span_ids: Array.isArray(meta.span_ids) ? meta.span_ids : [],
    raw,
  };
}

function mapMemoryTag(raw: any): Out {
  const results = isPlainObject(raw) && Array.isArray(raw.results) ? raw.results : [];
  const first = firstResult(raw);
  return { rendered: typeof first.output === 'string' ? first.output : '', success: first.success === true, results, raw };
}

const spanIdOf = (raw: any): any => {
  const meta = firstResult(raw).meta;
  return isPlainObject(meta) ? meta.span_id ?? null : null;
};

/** Picks listed keys of an object result (missing → fallback), plus `raw`. */
function pick(keys: Record<string, any>, optional: string[] = []): OutputMapper {
  return (raw) => {
    const out: Out = {};
    for (const [key, fallback] of Object.entries(keys)) {
      if (!isPlainObject(raw)) out[key] = fallback;
      else if (Array.isArray(fallback)) out[key] = Array.isArray(raw[key]) ? raw[key] : fallback;
      else out[key] = raw[key] ?? null;
    }
    if (isPlainObject(raw)) for (const key of optional) if (key in raw) out[key] = raw[key];
    out.raw = raw;
    return out;
  };
}

/** Interim agent outputs from its `llm_call` result (replaced by the ReAct agent later). */
function mapAgent(raw: any, n: GraphNode, g: FlowGraph): Out {
  const llm = mapLlmCall(raw, n, g);
  const meta: Out = { schema: 'abstractcode.agent.v1.meta', version: 1, output_mode: isStructured(raw?.data) ? 'structured' : 'unstructured' };
  for (const key of ['provider', 'model']) if (llm.meta?.[key]) meta[key] = llm.meta[key];
  Object.assign(meta, { tool_calls: 0, tool_results: 0 });
  const scratchpad = { node_id: n.id, steps: [], tool_calls: [], tool_results: [] };
  const out: Out = { response: llm.response ?? '', success: true, meta, scratchpad, tool_calls: [], tool_results: [] };
  if ('data' in llm) out.data = llm.data;
  return out;
}

export const OUTPUT_MAPPERS: Record<string, OutputMapper> = {
  ask_user: spread,
  answer_user: (raw) => (isPlainObject(raw) ? { ...raw } : { message: raw }),
  llm_call: mapLlmCall,
  agent: mapAgent,
  wait_event: (raw) => ({ event_data: raw }),
  listen_voice: mapListenVoice,
  wait_until: spread,
  emit_event: spread,
  on_event: (raw) => (isPlainObject(raw) ? { event: raw, payload: raw.payload ?? null, event_id: raw.event_id ?? null, name: raw.name ?? null } : { event: raw }),
  on_schedule: mapOnSchedule,
  subflow: mapSubflow,
  tool_calls: mapToolCalls,
  call_tool: mapCallTool,
  model_residency: mapModelResidency,
  memory_note: (raw) => ({ note_id: spanIdOf(raw), raw }),
  memory_compact: (raw) => ({ span_id: spanIdOf(raw), raw }),
  memory_query: mapMemoryQuery,
  memory_tag: mapMemoryTag,
  memory_rehydrate: pick({ inserted: 0, skipped: 0, artifacts: [] }),
  memory_kg_assert: pick({ assertion_ids: [], count: 0, ok: false }),
  memory_kg_query: pick({ items: [], count: 0, ok: false }, ['packets_version', 'packets', 'packed_count', 'active_memory_text', 'estimated_tokens', 'dropped', 'warnings']),
  memory_kg_resolve: pick({ candidates: [], count: 0, ok: false }, ['warnings']),
  ...Object.fromEntries(Object.entries(MEDIA_SPECS).map(([type, spec]) => [type, mapMedia(spec, type)])),
};
