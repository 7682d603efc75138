// Declarative description of the media nodes (spec §5.13): which pins/config keys become which
// keys of the `llm_call` output request. Data only, read by the media node definitions.

export type MediaFieldKind =
  | 'str' // non-blank string, trimmed
  | 'int' // int(float(v))
  | 'float'
  | 'bool' // coerceBool when present
  | 'count' // int >= 1
  | 'seeds' // list of ints (JSON or comma separated string)
  | 'lora' // list of non-empty objects (JSON string allowed)
  | 'object' // non-empty object
  | 'structured' // non-empty object or array
  | 'resolution'; // positive int or "<n>x"

export interface MediaField {
  key: string;
  aliases?: string[];
  kind: MediaFieldKind;
}

export interface MediaSpec {
  modality: string;
  task: string;
  /** Default output `format`; absent = no format key unless given. */
  format?: string;
  promptKeys: string[];
  providerKeys: string[];
  modelKeys: string[];
  fields: MediaField[];
  /** How the node's source media pins become `payload.media`. */
  media?: 'image' | 'image+mask' | 'audio';
  /** Modality label used in the output `meta`. */
  metaModality: string;
  /** Output pins that receive the first generated artifact ref. */
  primaryPins: string[];
  /** Pins/config keys that make the node throw `message` when set. */
  rejects?: { keys: string[]; message: string };
}

const f = (key: string, kind: MediaFieldKind, ...aliases: string[]): MediaField => ({ key, kind, aliases });

const IMAGE_FIELDS = [
  ...['size', 'negative_prompt', 'quality', 'style'].map((k) => f(k, 'str')),
  ...['width', 'height', 'seed', 'steps'].map((k) => f(k, 'int')),
  f('guidance_scale', 'float', 'guidanceScale'),
  f('guidance_2', 'float', 'guidance2', 'guidanceTwo'),
  f('count', 'count', 'n'),
  f('seeds', 'seeds'),
  f('lora_adapters', 'lora', 'loraAdapters'),
  f('extra', 'object'),
];

const VIDEO_FIELDS = [
  ...['size', 'negative_prompt'].map((k) => f(k, 'str')),
  ...['width', 'height', 'seed', 'steps', 'fps'].map((k) => f(k, 'int')),
  f('num_frames', 'int', 'numFrames', 'frames'),
  f('guidance_scale', 'float', 'guidanceScale'),
  f('guidance_2', 'float', 'guidance2', 'guidanceTwo'),
  f('count', 'count', 'n'),
  f('seeds', 'seeds'),
  f('flow_shift', 'float', 'flowShift'),
  f('lora_adapters', 'lora', 'loraAdapters'),
  f('extra', 'object'),
];

const IMAGE_IO = { providerKeys: ['image_provider', 'imageProvider', 'provider_image'], modelKeys: ['image_model', 'imageModel', 'model_image'], metaModality: 'image', primaryPins: ['image_artifact'] };
const VIDEO_IO = { providerKeys: ['video_provider', 'videoProvider', 'provider_video'], modelKeys: ['video_model', 'videoModel', 'model_video'], metaModality: 'video', primaryPins: ['video_artifact'] };

export const GENERATE_IMAGE: MediaSpec = { ...IMAGE_IO, modality: 'image', task: 'image_generation', format: 'png', promptKeys: ['prompt'], fields: IMAGE_FIELDS };
export const EDIT_IMAGE: MediaSpec = { ...IMAGE_IO, modality: 'image', task: 'image_edit', format: 'png', promptKeys: ['prompt', 'text'], fields: [...IMAGE_FIELDS, f('strength', 'float')], media: 'image+mask' };
export const UPSCALE_IMAGE: MediaSpec = {
  ...IMAGE_IO,
  modality: 'image',
  task: 'image_upscale',
  format: 'png',
  promptKeys: ['prompt'],
  fields: [f('scale', 'str'), f('output_format', 'str'), f('resolution', 'resolution'), f('seed', 'int'), f('quantize', 'int'), f('softness', 'float'), f('vae_tiling', 'bool', 'vaeTiling'), f('extra', 'object')],
  media: 'image',
};
export const TEXT_TO_VIDEO: MediaSpec = { ...VIDEO_IO, modality: 'video', task: 'text_to_video', format: 'mp4', promptKeys: ['prompt', 'text'], fields: VIDEO_FIELDS };

export const IMAGE_TO_VIDEO: MediaSpec = { ...TEXT_TO_VIDEO, task: 'image_to_video', media: 'image' };

export const GENERATE_VOICE: MediaSpec = {
  modality: 'voice',
  task: 'tts',
  format: 'wav',
  promptKeys: ['text', 'prompt'],
  providerKeys: ['tts_provider', 'ttsProvider', 'provider_voice'],
  modelKeys: ['tts_model', 'ttsModel', 'model_voice'],
  fields: [...['voice', 'profile', 'instructions'].map((k) => f(k, 'str')), f('quality_preset', 'str', 'qualityPreset', 'quality'), f('speed', 'float'), f('extra', 'object')],
  metaModality: 'voice',
  primaryPins: ['audio_artifact'],
};

export const GENERATE_MUSIC: MediaSpec = {
  modality: 'music',
  task: 'music_generation',
  format: 'wav',
  promptKeys: ['prompt', 'text'],
  providerKeys: ['music_provider', 'musicProvider', 'provider_music'],
  modelKeys: ['music_model', 'musicModel', 'model_music'],
  fields: [
    ...['lyrics', 'text_planner_mode', 'vocal_language', 'negative_prompt', 'keyscale', 'timesignature'].map((k) => f(k, 'str')),
    f('duration_s', 'float', 'duration', 'durationS'),
    f('bpm', 'float'),
    f('seed', 'int'),
    f('sample_rate', 'int', 'sampleRate'),
    f('num_inference_steps', 'int', 'numInferenceSteps'),
    f('guidance_scale', 'float', 'guidanceScale'),
    ...['instrumental', 'enhance_prompt', 'structure_prompt', 'auto_lyrics', 'planning'].map((k) => f(k, 'bool')),
    f('extra', 'object'),
    ...['composition_plan', 'positive_styles', 'negative_styles'].map((k) => f(k, 'structured')),
  ],
  metaModality: 'music',
  primaryPins: ['music_artifact', 'audio_artifact'],
  rejects: {
    keys: ['music_backend', 'musicBackend', 'backend_music'],
    message: 'generate_music uses `music_provider` as the backend selector; `music_backend` is not supported.',
  },
};

export const TRANSCRIBE_AUDIO: MediaSpec = {
  modality: 'text',
  task: 'transcription',
  promptKeys: [],
  providerKeys: ['stt_provider', 'sttProvider', 'provider_voice'],
  modelKeys: ['stt_model', 'sttModel', 'model_voice'],
  fields: [...['language', 'prompt', 'response_format', 'format'].map((k) => f(k, 'str')), f('temperature', 'float')],
  media: 'audio',
  metaModality: 'text',
  primaryPins: ['transcript_artifact'],
};
