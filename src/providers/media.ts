// Media generation over HTTP (spec runtime-visualflow §7.5, discovery-media-kg §3.4, §3.6):
// image generation (`POST …/images/generations` with `response_format:"b64_json"`, answered
// `{data:[{b64_json}]}`) and text-to-speech (`POST …/audio/speech`, answered with the audio bytes)
// in the OpenAI shape, which the AbstractCore server extends. Two dialects:
//   abstractcore  base = the Core server root; routes under `/v1`; the media `provider` travels in
//                 the image body, and in the path for speech (`/<provider>/v1/audio/speech`);
//   openai        base = an OpenAI-compatible `/v1` base URL; that endpoint is the provider.
// The key is attached by this client's HttpClient, so it only ever reaches this base URL. Every
// answer is read under a byte cap, and a cancelled run aborts the request like a chat call.

import { GatewayError } from '../errors.js';
import { isPlainObject } from '../model/json.js';
import type { JsonObject } from '../model/run.js';
import { HttpClient } from './http-client.js';
import type { Limiter } from './limiter.js';
import type { LookupFunction } from 'node:net';

export type MediaDialect = 'abstractcore' | 'openai';

export interface MediaClientOptions {
  /** Who answers, for messages and results: `abstractcore`, a registry provider name, or `client`. */
  name: string;
  dialect: MediaDialect;
  baseUrl: string;
  /** Sent as `Authorization: Bearer` (the Core token, or the OpenAI-compatible provider's key). */
  apiKey?: string;
  /** A caller's own provider key for the Core server to use (`X-AbstractCore-Provider-API-Key`). */
  providerKey?: string;
  timeoutMs: number;
  maxRetries: number;
  limiter: Limiter;
  /** Client-chosen base URLs only: the guarded DNS lookup of url-policy.ts. */
  lookup?: LookupFunction;
  retryBaseMs?: number;
  imageMaxBytes: number;
  audioMaxBytes: number;
}

/** One media request: the node's output spec (§5.13) plus the resolved backend selectors. */
export interface MediaRequest {
  prompt: string;
  /** The media provider (e.g. `huggingface`); forwarded by the abstractcore dialect only. */
  provider?: string;
  model?: string;
  /** The `output` request of the llm_call payload: format and the backend controls. */
  spec: JsonObject;
  signal?: AbortSignal;
}

export interface GeneratedMedia {
  bytes: Buffer;
  content_type: string;
  format: string;
}

/** Output-spec keys an image backend understands (§7.5); `count` travels as `n`. */
const IMAGE_CONTROLS = ['size', 'width', 'height', 'negative_prompt', 'seed', 'steps', 'guidance_scale', 'guidance_2', 'seeds', 'lora_adapters', 'extra', 'quality', 'style'];
const SPEECH_CONTROLS = ['voice', 'speed', 'instructions', 'profile', 'quality_preset'];
/** OpenAI's gpt-image models take only these sizes and none of the local-model keys (§7.5). */
const GPT_IMAGE_SIZES = new Set(['1024x1024', '1024x1536', '1536x1024', 'auto']);

const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp' };
const AUDIO_TYPES: Record<string, string> = { wav: 'audio/wav', wave: 'audio/wav', mp3: 'audio/mpeg', mpeg: 'audio/mpeg', flac: 'audio/flac' };

/** Content type for a format (discovery-media-kg §3.3): `png → image/png`, `mp3 → audio/mpeg`, else `<kind>/<format>`. */
export function mediaContentType(kind: 'image' | 'audio', format: string): string {
  const f = format.toLowerCase();
  return (kind === 'image' ? IMAGE_TYPES : AUDIO_TYPES)[f] ?? `${kind}/${f}`;
}

const formatOf = (spec: JsonObject, fallback: string): string => (typeof spec.format === 'string' && spec.format.trim() ? spec.format.trim().toLowerCase() : fallback);

function pick(spec: JsonObject, keys: string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) if (spec[k] !== undefined && spec[k] !== null) out[k] = spec[k];
  return out;
}

/** gpt-image: the nearest allowed size, only the keys OpenAI accepts, and no response_format (always base64). */
function gptImageBody(body: JsonObject): JsonObject {
  const out: JsonObject = { prompt: body.prompt, model: body.model };
  if (body.n !== undefined) out.n = body.n;
  if (body.quality !== undefined) out.quality = body.quality;
  const w = Number(body.width);
  const h = Number(body.height);
  if (typeof body.size === 'string' && GPT_IMAGE_SIZES.has(body.size)) out.size = body.size;
  else if (w > 0 && h > 0) out.size = w > h ? '1536x1024' : w < h ? '1024x1536' : '1024x1024';
  else if (body.size !== undefined) out.size = 'auto';
  return out;
}

export class MediaClient {
  private readonly http: HttpClient;

  constructor(private readonly o: MediaClientOptions) {
    const headers: Record<string, string> = {};
    if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
    if (o.providerKey) headers['x-abstractcore-provider-api-key'] = o.providerKey;
    this.http = new HttpClient({ name: o.name, baseUrl: o.baseUrl, headers, timeoutMs: o.timeoutMs, maxRetries: o.maxRetries, limiter: o.limiter, lookup: o.lookup, retryBaseMs: o.retryBaseMs });
  }

  get name(): string {
    return this.o.name;
  }

  get limiter(): Limiter {
    return this.o.limiter;
  }

  get dialect(): MediaDialect {
    return this.o.dialect;
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  private v1(path: string): string {
    return this.o.dialect === 'abstractcore' ? `/v1${path}` : path;
  }

  /** Images for a prompt, decoded from `{data:[{b64_json}]}`; each one within the image cap. */
  async generateImages(r: MediaRequest): Promise<GeneratedMedia[]> {
    const format = formatOf(r.spec, 'png');
    let body: JsonObject = { prompt: r.prompt, response_format: 'b64_json', ...pick(r.spec, IMAGE_CONTROLS) };
    if (typeof r.spec.count === 'number') body.n = r.spec.count;
    if (r.model) body.model = r.model;
    if (this.o.dialect === 'abstractcore') {
      if (r.provider) body.provider = r.provider;
      body.format = format;
    } else if (r.model?.startsWith('gpt-image')) body = gptImageBody(body);
    const expected = typeof body.n === 'number' ? body.n : Array.isArray(r.spec.seeds) ? r.spec.seeds.length : 1;
    // Base64 is 4/3 of the bytes; 1 MiB of slack covers the JSON around them.
    const cap = Math.ceil((Math.max(1, expected) * this.o.imageMaxBytes * 4) / 3) + 1_048_576;
    const answer = await this.http.json(this.v1('/images/generations'), body, { signal: r.signal, timeoutMs: this.o.timeoutMs, maxBytes: cap });
    const items: unknown[] = Array.isArray(answer?.data) ? answer.data : [];
    if (!items.length) throw this.badAnswer(this.v1('/images/generations'), 'no images in `data`');
    return items.map((item, i) => ({ bytes: this.decodeImage(item, i), content_type: mediaContentType('image', format), format }));
  }

  /** Speech audio for a text; the server's audio content type wins over the requested format's. */
  async speech(r: MediaRequest): Promise<GeneratedMedia> {
    const format = formatOf(r.spec, 'wav');
    const body: JsonObject = { input: r.prompt, response_format: format, ...pick(r.spec, SPEECH_CONTROLS) };
    if (r.model) body.model = r.model;
    // The Core server selects a speech provider by path (discovery-media-kg Appendix B).
    const scoped = this.o.dialect === 'abstractcore' && r.provider ? `/${encodeURIComponent(r.provider.toLowerCase().replaceAll('_', '-'))}` : '';
    const path = `${scoped}${this.v1('/audio/speech')}`;
    const answer = await this.http.bytes(path, body, { signal: r.signal, timeoutMs: this.o.timeoutMs, maxBytes: this.o.audioMaxBytes, accept: 'audio/*, application/octet-stream' });
    if (!answer.bytes.length) throw this.badAnswer(path, 'empty audio');
    const declared = answer.contentType?.split(';')[0]!.trim().toLowerCase();
    return { bytes: answer.bytes, content_type: declared?.startsWith('audio/') ? declared : mediaContentType('audio', format), format };
  }

  private decodeImage(item: unknown, index: number): Buffer {
    const path = this.v1('/images/generations');
    const b64 = isPlainObject(item) && typeof item.b64_json === 'string' ? item.b64_json.replace(/\s+/g, '') : '';
    // A URL answer would make the gateway fetch an address the backend chose: refused.
    if (!b64) throw this.badAnswer(path, `data[${index}] has no b64_json${isPlainObject(item) && item.url ? ' (URL answers are not fetched)' : ''}`);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw this.badAnswer(path, `data[${index}].b64_json is not base64`);
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length > this.o.imageMaxBytes) {
      throw new GatewayError('GW_ERR_UPSTREAM', `${this.o.name}: generated image is too large (${bytes.length} bytes, ABSTRACTGATEWAY_IMAGE_MAX_BYTES=${this.o.imageMaxBytes})`);
    }
    return bytes;
  }

  private badAnswer(path: string, why: string): GatewayError {
    return new GatewayError('GW_ERR_UPSTREAM', `${this.o.name}: the answer from ${this.http.baseUrl}${path} is not usable: ${why}`);
  }
}
