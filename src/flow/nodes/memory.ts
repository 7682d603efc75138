// Memory and knowledge-graph effect nodes (spec §5.12): plain payloads, no pre-steps.

import type { JsonObject } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import { pyFloat, pyInt } from '../py.js';
import { coerceBool, nonBlank, type Pending, pendingPlan } from '../engine/effect.js';
import type { ExecNode } from '../engine/graph.js';
import type { NodeDefinition, OutputMapper } from './definition.js';

type Builder = (inputs: JsonObject, n: ExecNode) => Pending;

const num = (v: any, parse: (x: any) => number): number | undefined => {
  if (v == null || typeof v === 'boolean') return undefined;
  try {
    return parse(v);
  } catch {
    return undefined;
  }
};
const intOf = (v: any) => num(v, (x) => pyInt(pyFloat(x)));

/** Copies the listed keys of `inputs` that hold non-blank strings (trimmed). */
function copyStrings(pending: Pending, inputs: JsonObject, keys: string[]): Pending {
  for (const k of keys) if (nonBlank(inputs[k])) pending[k] = nonBlank(inputs[k]);
  return pending;
}

const objectList = (raw: any): JsonObject[] => (isPlainObject(raw) ? [{ ...raw }] : Array.isArray(raw) ? raw.filter(isPlainObject) : []);
const trimmedStrings = (raw: any[]): string[] => raw.filter((x) => nonBlank(x)).map((x: string) => x.trim());

const memoryNote: Builder = (i, n) => {
  const p: Pending = { type: 'memory_note', note: i.content ?? '', tags: isPlainObject(i.tags) ? i.tags : {} };
  if (isPlainObject(i.sources)) p.sources = i.sources;
  copyStrings(p, i, ['location', 'scope']);
  const cfg = n.data.effectConfig ?? {};
  const keepKey = ['keep_in_context', 'keepInContext'].find((k) => k in i);
  if (coerceBool(keepKey ? i[keepKey] : cfg.keep_in_context ?? cfg.keepInContext)) p.keep_in_context = true;
  return p;
};

const memoryQuery: Builder = (i) => {
  const p: Pending = { type: 'memory_query', query: i.query ?? '', limit_spans: num(i.limit ?? 10, pyInt) ?? 10, return: 'both' };
  copyStrings(p, i, ['recall_level', 'tags_mode', 'scope']);
  if (isPlainObject(i.tags)) p.tags = i.tags;
  for (const k of ['usernames', 'locations']) if (Array.isArray(i[k])) p[k] = trimmedStrings(i[k]);
  for (const k of ['since', 'until']) if (i[k] != null) p[k] = i[k];
  return p;
};

const memoryTag: Builder = (i) => {
  const p: Pending = { type: 'memory_tag', span_id: i.span_id ?? i.spanId ?? null, tags: isPlainObject(i.tags) ? i.tags : {} };
  if ('merge' in i) p.merge = coerceBool(i.merge);
  return copyStrings(p, i, ['scope']);
};

const memoryCompact: Builder = (i) => {
  const p: Pending = { type: 'memory_compact' };
  if (i.preserve_recent != null) p.preserve_recent = i.preserve_recent;
  return copyStrings(p, i, ['compression_mode', 'focus']);
};

const PLACEMENTS = new Set(['after_summary', 'after_system', 'end']);
const memoryRehydrate: Builder = (i) => {
  const raw = i.span_ids ?? i.span_id;
  const placement = nonBlank(i.placement);
  const p: Pending = { type: 'memory_rehydrate', span_ids: Array.isArray(raw) ? [...raw] : raw == null ? [] : [raw], placement: PLACEMENTS.has(placement) ? placement : 'after_summary' };
  if (i.max_messages != null) p.max_messages = i.max_messages;
  return copyStrings(p, i, ['recall_level']);
};

const kgAssert: Builder = (i) => {
  const p: Pending = { type: 'memory_kg_assert', assertions: objectList(i.assertions ?? i.triples ?? i.items) };
  copyStrings(p, i, ['scope', 'owner_id', 'span_id']);
  if (isPlainObject(i.attributes_defaults) && Object.keys(i.attributes_defaults).length) p.attributes_defaults = { ...i.attributes_defaults };
  if (typeof i.allow_custom_predicates === 'boolean') p.allow_custom_predicates = i.allow_custom_predicates;
  return p;
};

const kgQuery: Builder = (i) => {
  const p = copyStrings({ type: 'memory_kg_query' }, i, ['subject', 'predicate', 'object', 'recall_level', 'scope', 'owner_id', 'since', 'until', 'active_at', 'query_text', 'order', 'model']);
  const maxIn = intOf(i.max_input_tokens ?? i.max_in_tokens);
  if (maxIn !== undefined) p.max_input_tokens = maxIn;
  const minScore = num(i.min_score, pyFloat);
  if (minScore !== undefined) p.min_score = minScore;
  const limit = num(i.limit, pyInt);
  if (limit !== undefined) p.limit = limit;
  return p;
};

const kgResolve: Builder = (i) => {
  const p = copyStrings({ type: 'memory_kg_resolve' }, i, ['label', 'expected_type', 'recall_level', 'scope', 'owner_id']);
  const semantic = i.include_semantic ?? i.includeSemantic;
  if (typeof semantic === 'boolean') p.include_semantic = semantic;
  const minScore = num(i.min_score ?? i.minScore, pyFloat);
  if (minScore !== undefined) p.min_score = minScore;
  const max = intOf(i.max_candidates ?? i.maxCandidates ?? i.limit);
  if (max !== undefined) p.max_candidates = max;
  return p;
};

/** `results[0]` of a memory tool-style envelope. */
const firstResult = (raw: any): JsonObject => (isPlainObject(raw) && Array.isArray(raw.results) && isPlainObject(raw.results[0]) ? raw.results[0] : {});

const spanIdOf = (raw: any): any => {
  const meta = firstResult(raw).meta;
  return isPlainObject(meta) ? meta.span_id ?? null : null;
};

function queryOutputs(raw: any): JsonObject {
  const first = firstResult(raw);
  const meta = isPlainObject(first.meta) ? first.meta : {};
  return {
    rendered: typeof first.output === 'string' ? first.output : '',
    results: Array.isArray(meta.matches) ? meta.matches : [],
    span_ids: Array.isArray(meta.span_ids) ? meta.span_ids : [],
    raw,
  };
}

function tagOutputs(raw: any): JsonObject {
  const results = isPlainObject(raw) && Array.isArray(raw.results) ? raw.results : [];
  const first = firstResult(raw);
  return { rendered: typeof first.output === 'string' ? first.output : '', success: first.success === true, results, raw };
}

/** Picks listed keys of an object result (missing → fallback), plus `raw`. */
function pick(keys: Record<string, any>, optional: string[] = []): OutputMapper {
  return (raw) => {
    const out: JsonObject = {};
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

/** Memory nodes issue the effect of their own type. */
const memoryNode = (type: string, build: Builder, outputs: OutputMapper): NodeDefinition => ({
  type,
  kind: 'effect',
  effect: type,
  step: (n, s) => pendingPlan(n, build(s.resolveInputs(n), n)),
  outputs,
});

export const MEMORY_NODES: NodeDefinition[] = [
  memoryNode('memory_note', memoryNote, (raw) => ({ note_id: spanIdOf(raw), raw })),
  memoryNode('memory_query', memoryQuery, queryOutputs),
  memoryNode('memory_tag', memoryTag, tagOutputs),
  memoryNode('memory_compact', memoryCompact, (raw) => ({ span_id: spanIdOf(raw), raw })),
  memoryNode('memory_rehydrate', memoryRehydrate, pick({ inserted: 0, skipped: 0, artifacts: [] })),
  memoryNode('memory_kg_assert', kgAssert, pick({ assertion_ids: [], count: 0, ok: false })),
  memoryNode(
    'memory_kg_query',
    kgQuery,
    pick({ items: [], count: 0, ok: false }, ['packets_version', 'packets', 'packed_count', 'active_memory_text', 'estimated_tokens', 'dropped', 'warnings']),
  ),
  memoryNode('memory_kg_resolve', kgResolve, pick({ candidates: [], count: 0, ok: false }, ['warnings'])),
];
