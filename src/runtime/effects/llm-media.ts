// Generated media in an `llm_call` (spec runtime-visualflow §3.5.2, §5.13, §7.5): a payload whose
// `output` asks for an image or speech goes to the media backend the provider registry chooses
// (providers/media-backends.ts). Each returned binary is stored as an artifact of the run, and the
// result reports it as `outputs.<modality>[i] = {modality, task, content_type, format, provider,
// model, artifact_ref}`, which the media nodes map onto their pins. The bytes never enter the
// ledger: only the artifact refs do. Artifact ids are content hashes (run id + bytes), so a re-run
// after a crash that gets the same bytes back stores nothing twice.

import { isPlainObject } from '../../model/json.js';
import type { JsonObject } from '../../model/run.js';
import type { MediaSelection } from '../../providers/media-backends.js';
import type { GeneratedMedia, MediaClient, MediaRequest } from '../../providers/media.js';
import type { ModelRef } from '../../providers/resolve.js';
import type { ArtifactMetadata, ArtifactStore } from '../../store/types.js';
import { userText } from './llm-request.js';
import type { EffectCall } from './types.js';

/** What media generation needs from the composition root (a part of LlmServices). */
export interface MediaServices {
  providers: {
    media: { choose(sel: MediaSelection): MediaClient };
    resolveMedia(dataDir: string, node: ModelRef, routes: string[]): Promise<{ provider?: string; model?: string }>;
  };
  dataDir: string;
  /** Stores one generated binary in the run's runtime scope (its artifact store). */
  putArtifact?: ArtifactStore['put'];
}

interface MediaTask {
  /** The modality results are reported under when the spec names none. */
  modality: string;
  /** Capability routes, most specific first (spec discovery §9.4). */
  routes: string[];
  generate(client: MediaClient, request: MediaRequest): Promise<GeneratedMedia[]>;
}

/** What this build generates, by task; the modality each task answers under is the spec's. */
const TASKS: Record<string, MediaTask> = {
  image_generation: { modality: 'image', routes: ['output.image.text_to_image', 'output.image'], generate: (c, r) => c.generateImages(r) },
  tts: { modality: 'voice', routes: ['output.voice'], generate: async (c, r) => [await c.speech(r)] },
};
/** The task a spec means when it names only a modality. */
const DEFAULT_TASK: Record<string, string> = { image: 'image_generation', voice: 'tts' };
const TASK_ALIASES: Record<string, string> = { text_to_image: 'image_generation', t2i: 'image_generation', text_to_speech: 'tts', speech: 'tts' };

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** The payload's media request, when its `output` asks for something other than text. */
export function mediaRequest(payload: JsonObject): JsonObject | undefined {
  const spec = payload.output;
  if (!isPlainObject(spec)) return undefined;
  const modality = text(spec.modality)?.toLowerCase();
  return (modality && modality !== 'text') || text(spec.task) ? spec : undefined;
}

export async function generateMedia(services: MediaServices, call: EffectCall, spec: JsonObject, signal: AbortSignal): Promise<JsonObject> {
  const asked = text(spec.modality)?.toLowerCase();
  const named = text(spec.task)?.toLowerCase() ?? DEFAULT_TASK[asked ?? ''] ?? '';
  const taskName = TASK_ALIASES[named] ?? named;
  const task = Object.hasOwn(TASKS, taskName) ? TASKS[taskName] : undefined;
  if (!task) {
    throw new Error(
      `Media task '${named || '?'}' (modality ${asked ?? '?'}) is not available in this build: llm_call generates images (image_generation) and speech (tts); ` +
        'image edits, upscaling, video, music and transcription are not implemented',
    );
  }
  if (!services.putArtifact) throw new Error('Generated media requires an artifact store');
  const modality = asked ?? task.modality;
  const payload = call.effect.payload;
  const prompt = userText(payload);
  if (!prompt.trim()) throw new Error(`${taskName} requires a prompt (or text)`);

  const started = performance.now();
  const choice = await services.providers.resolveMedia(services.dataDir, { provider: spec.provider, model: spec.model }, task.routes);
  const client = services.providers.media.choose({
    provider: choice.provider,
    base_url: text(spec.base_url) ?? text(payload.base_url),
    api_key: text(payload.provider_api_key),
    task: taskName,
  });
  const generated = await task.generate(client, { prompt, provider: choice.provider, model: choice.model, spec, signal });
  // An OpenAI-protocol endpoint is the provider itself; the Core server serves the one asked for.
  const provider = choice.provider ?? (client.dialect === 'openai' ? client.name : null);
  const model = choice.model ?? null;
  const items: JsonObject[] = [];
  for (const [index, media] of generated.entries()) {
    const stored = await services.putArtifact(media.bytes, {
      content_type: media.content_type,
      run_id: call.run.run_id,
      tags: tagsOf({ kind: 'generated_media', modality, task: taskName, format: media.format, source: 'llm_call', provider, model, backend: client.name, workflow_id: call.run.workflow_id, node_id: call.node_id, session_id: call.run.session_id }),
      metadata: { prompt, output_index: index },
    });
    items.push({ modality, task: taskName, content_type: media.content_type, format: media.format, backend_id: client.name, provider, model, artifact_ref: refOf(stored) });
  }
  return {
    content: null,
    reasoning: null,
    tool_calls: null,
    usage: null,
    finish_reason: null,
    provider,
    model,
    media_provider: provider,
    media_model: model,
    outputs: { [modality]: items },
    gen_time: Math.round(performance.now() - started),
    ttft_ms: null,
  };
}

function refOf(a: ArtifactMetadata): JsonObject {
  return { $artifact: a.artifact_id, artifact_id: a.artifact_id, content_type: a.content_type, size_bytes: a.size_bytes };
}

/** Artifact tags are strings: unset selectors are left out rather than stored as "null". */
function tagsOf(values: Record<string, string | null | undefined>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) if (v) tags[k] = v;
  return tags;
}
