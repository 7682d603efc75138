// Media backend settings from the environment (spec runtime-visualflow §7.5, discovery-media-kg
// Appendix A/B). The media client (src/providers/media.ts) reads no environment: the Core
// server's token arrives here beside the Core server's URL, and only travels there.

import { ConfigError, positiveNumber } from './config.js';
import { checkedUrl } from './providers.js';

type Env = Record<string, string | undefined>;

/** An AbstractCore-compatible server (split mode): the media routes live under `<root>/v1/…`. */
export interface CoreServerConnection {
  /** ABSTRACTCORE_SERVER_BASE_URL without a trailing `/v1`. */
  root: string;
  /** The Core token chain (first non-empty); sent only to `root`. */
  token?: string;
}

export interface MediaSettings {
  /** Set when ABSTRACTCORE_SERVER_BASE_URL is: every media request goes there. */
  core?: CoreServerConnection;
  /** ABSTRACTGATEWAY_MEDIA_TIMEOUT_S: one attempt of one media request (generation is slow). */
  timeoutMs: number;
  /** ABSTRACTGATEWAY_IMAGE_MAX_BYTES (alias ABSTRACTCORE_IMAGE_MAX_BYTES): one generated image. */
  imageMaxBytes: number;
  /** ABSTRACTGATEWAY_AUDIO_MAX_BYTES: one generated audio answer. */
  audioMaxBytes: number;
}

/** Defaults, also for registries built by hand (embedders, tests) without MediaSettings. */
export const MEDIA_DEFAULTS: MediaSettings = { timeoutMs: 600_000, imageMaxBytes: 20_000_000, audioMaxBytes: 100_000_000 };

const CORE_TOKEN_ENV = ['ABSTRACTGATEWAY_ABSTRACTCORE_SERVER_AUTH_TOKEN', 'ABSTRACTGATEWAY_ABSTRACTCORE_SERVER_API_KEY', 'ABSTRACTCORE_AUTH_TOKEN', 'ABSTRACTCORE_SERVER_API_KEY'];
const IMAGE_MAX_CLAMP = 200_000_000;

function imageMaxBytes(env: Env): number {
  const name = ['ABSTRACTGATEWAY_IMAGE_MAX_BYTES', 'ABSTRACTCORE_IMAGE_MAX_BYTES'].find((n) => env[n]?.trim());
  if (!name) return MEDIA_DEFAULTS.imageMaxBytes;
  // The reference clamps to 1…200 MB rather than refusing; a non-number is still a mistake.
  return Math.min(IMAGE_MAX_CLAMP, positiveNumber(env, name, MEDIA_DEFAULTS.imageMaxBytes, { integer: true }));
}

export function loadMediaSettings(env: Env): MediaSettings {
  const raw = env.ABSTRACTCORE_SERVER_BASE_URL?.trim();
  let core: CoreServerConnection | undefined;
  if (raw) {
    const root = checkedUrl('ABSTRACTCORE_SERVER_BASE_URL', raw).replace(/\/v1$/i, '');
    if (!root) throw new ConfigError(`ABSTRACTCORE_SERVER_BASE_URL must be an http(s) URL, got '${raw}'`);
    const token = CORE_TOKEN_ENV.map((n) => env[n]?.trim()).find((v) => v);
    core = { root, ...(token ? { token } : {}) };
  }
  return {
    core,
    timeoutMs: Math.round(positiveNumber(env, 'ABSTRACTGATEWAY_MEDIA_TIMEOUT_S', MEDIA_DEFAULTS.timeoutMs / 1000) * 1000),
    imageMaxBytes: imageMaxBytes(env),
    audioMaxBytes: positiveNumber(env, 'ABSTRACTGATEWAY_AUDIO_MAX_BYTES', MEDIA_DEFAULTS.audioMaxBytes, { integer: true }),
  };
}
