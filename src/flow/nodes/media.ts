// Media nodes (spec §5.13): an `llm_call` with an `output` request built from the node's MediaSpec.

import type { JsonObject } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import { pyFloat, pyInt, pyStr } from '../py.js';
import { coerceBool, inputOrConfig, nonBlank } from '../engine/effect.js';
import { firstArtifact } from './artifact-refs.js';
import type { NodeDefinition, OutputMapper, StepHandler } from './definition.js';
import { llmEffectPlan } from './llm.js';
import {
  EDIT_IMAGE,
  GENERATE_IMAGE,
  GENERATE_MUSIC,
  GENERATE_VOICE,
  IMAGE_TO_VIDEO,
  type MediaFieldKind,
  type MediaSpec,
  TEXT_TO_VIDEO,
  TRANSCRIBE_AUDIO,
  UPSCALE_IMAGE,
} from './media-specs.js';

const attempt = <T>(fn: () => T): T | undefined => {
  try {
    return fn();
  } catch {
    return undefined;
  }
};

const toInt = (v: any): number | undefined => (typeof v === 'boolean' ? undefined : attempt(() => pyInt(pyFloat(v))));
const toFloat = (v: any): number | undefined => {
  const f = typeof v === 'boolean' ? undefined : attempt(() => pyFloat(v));
  return f === undefined || Number.isNaN(f) ? undefined : f;
};
const parseJson = (text: string): any => attempt(() => JSON.parse(text));

function seedList(v: any): number[] | undefined {
  let parsed = v;
  if (typeof v === 'string') parsed = v.trim() ? parseJson(v) ?? v.split(',').map((p) => p.trim()) : undefined;
  if (!Array.isArray(parsed)) return undefined;
  const seeds = parsed.map(toInt);
  return seeds.length && seeds.every((x) => x !== undefined) ? (seeds as number[]) : undefined;
}

function loraList(v: any): JsonObject[] | undefined {
  let parsed = typeof v === 'string' ? parseJson(v) : v;
  if (isPlainObject(parsed)) parsed = [parsed];
  if (!Array.isArray(parsed)) return undefined;
  const out = parsed.filter((x) => isPlainObject(x) && Object.keys(x).length);
  return out.length ? out : undefined;
}

function resolution(v: any): number | string | undefined {
  if (typeof v === 'string' && v.trim().toLowerCase().endsWith('x')) {
    const scale = toFloat(v.trim().slice(0, -1));
    return scale !== undefined && scale > 0 ? v.trim() : undefined;
  }
  const n = toInt(v);
  return n !== undefined && n > 0 ? n : undefined;
}

const COERCE: Record<MediaFieldKind, (v: any) => any> = {
  str: (v) => nonBlank(v) || undefined,
  int: toInt,
  float: toFloat,
  bool: coerceBool,
  count: (v) => {
    const n = toInt(v);
    return n !== undefined && n >= 1 ? n : undefined;
  },
  seeds: seedList,
  lora: loraList,
  object: (v) => (isPlainObject(v) && Object.keys(v).length ? { ...v } : undefined),
  structured: (v) => ((isPlainObject(v) && Object.keys(v).length) || (Array.isArray(v) && v.length) ? v : undefined),
  resolution,
};

/** A media reference as an `llm_call` media item (spec §5.13 string rules). */
function imageItem(value: any, role: string): JsonObject | null {
  if (isPlainObject(value)) {
    const item: JsonObject = { type: 'image', ...value };
    if (!('role' in item || 'purpose' in item || 'kind' in item)) item.role = role;
    return item;
  }
  const ref = nonBlank(value);
  if (!ref) return null;
  if (/^data:/i.test(ref) || /^https?:\/\//.test(ref)) return { type: 'image', role, url: ref };
  if (ref.startsWith('/') || ref.startsWith('~')) return { type: 'image', role, file_path: ref };
  return { type: 'image', role, $artifact: ref };
}

const SOURCE_IMAGE_KEYS = ['image_artifact', 'source_image', 'sourceImage', 'input_image', 'inputImage', 'image', 'artifact', 'file_path', 'filePath', 'source'];
const MASK_KEYS = ['mask_artifact', 'mask_image', 'maskImage', 'image_mask', 'mask'];

function mediaItems(kind: 'image' | 'image+mask' | 'audio', pick: (keys: string[]) => any): any[] {
  if (kind === 'audio') {
    const audio = pick(['audio_artifact', 'artifact', 'audio']);
    const item = typeof audio === 'string' && audio.trim() && !/^[/~]/.test(audio) ? { $artifact: audio.trim(), type: 'audio' } : audio;
    return item ? [item] : [];
  }
  const items = [imageItem(pick(SOURCE_IMAGE_KEYS), 'source')];
  if (kind === 'image+mask') items.push(imageItem(pick(MASK_KEYS), 'mask'));
  return items.filter((x) => x !== null);
}

function mediaStep(spec: MediaSpec): StepHandler {
  return (n, s) => {
    const inputs = s.resolveInputs(n);
    const cfg = n.data.effectConfig ?? {};
    const pick = (keys: string[]) => inputOrConfig(inputs, cfg, keys);
    if (spec.rejects && nonBlank(pick(spec.rejects.keys))) throw new Error(spec.rejects.message);
    const output: JsonObject = { modality: spec.modality, task: spec.task };
    if (spec.format) output.format = nonBlank(pyStr(pick(['format', 'response_format']) ?? spec.format)).toLowerCase() || spec.format;
    for (const field of spec.fields) {
      const raw = pick([field.key, ...(field.aliases ?? [])]);
      const value = raw === undefined ? undefined : COERCE[field.kind](raw);
      if (value !== undefined) output[field.key] = value;
    }
    const provider = nonBlank(pick(spec.providerKeys));
    const model = nonBlank(pick(spec.modelKeys));
    if (provider) output.provider = provider;
    if (model) output.model = model;
    const prompt = spec.task === 'transcription' ? output.prompt || 'Transcribe this audio.' : pyStr(pick(spec.promptKeys) ?? '');
    const pending: JsonObject & { type: string } = { type: 'llm_call', prompt, system_prompt: '', tools: [], params: {} };
    if (spec.media) pending.media = mediaItems(spec.media, pick);
    pending.output = output;
    return llmEffectPlan(n, s, pending);
  };
}

function mediaOutputs(spec: MediaSpec, type: string): OutputMapper {
  return (raw) => {
    if (!isPlainObject(raw)) return {};
    const artifact = firstArtifact(raw);
    if (spec.task === 'transcription') {
      const textObj = isPlainObject(raw.text) ? raw.text.content : null;
      const text = textObj != null && pyStr(textObj) !== '' ? pyStr(textObj) : raw.content != null ? pyStr(raw.content) : '';
      const out: JsonObject = { text, success: true, raw };
      if (artifact) Object.assign(out, { artifact_ref: artifact, transcript_artifact: artifact, artifact_id: artifact.artifact_id });
      out.meta = { schema: 'abstractflow.transcribe_audio.v1.meta', version: 1, modality: 'text', task: 'transcription' };
      return out;
    }
    const out: JsonObject = { outputs: isPlainObject(raw.outputs) ? raw.outputs : {} };
    if (isPlainObject(raw.resources)) out.resources = raw.resources;
    if (artifact) {
      out.artifact_ref = artifact;
      for (const pin of spec.primaryPins) out[pin] = artifact;
      if (nonBlank(artifact.content_type)) out.content_type = artifact.content_type.trim();
      out.artifact_id = artifact.artifact_id;
    }
    out.success = artifact !== null;
    const meta: JsonObject = { schema: `abstractflow.${type}.v1.meta`, version: 1, modality: spec.metaModality };
    for (const key of ['provider', 'model']) if (raw[key] != null) meta[key] = raw[key];
    out.meta = meta;
    out.raw = raw;
    return out;
  };
}

const mediaNode = (type: string, spec: MediaSpec): NodeDefinition => ({ type, kind: 'effect', effect: 'llm_call', step: mediaStep(spec), outputs: mediaOutputs(spec, type) });

export const MEDIA_NODES: NodeDefinition[] = [
  mediaNode('generate_image', GENERATE_IMAGE),
  mediaNode('edit_image', EDIT_IMAGE),
  mediaNode('image_to_image', EDIT_IMAGE),
  mediaNode('upscale_image', UPSCALE_IMAGE),
  mediaNode('image_upscale', UPSCALE_IMAGE),
  mediaNode('generate_video', TEXT_TO_VIDEO),
  mediaNode('text_to_video', TEXT_TO_VIDEO),
  mediaNode('image_to_video', IMAGE_TO_VIDEO),
  mediaNode('generate_voice', GENERATE_VOICE),
  mediaNode('generate_music', GENERATE_MUSIC),
  mediaNode('transcribe_audio', TRANSCRIBE_AUDIO),
];
