// LLM provider connections from the environment (spec runtime-visualflow §7.2, discovery §2.6).
// The table below is the one place that says which env variables configure which provider; the
// provider clients in src/providers/ receive the parsed connections and never read process.env
// themselves, so a key can only travel with the base URL it was configured beside.

import { ConfigError, parseBool, positiveNumber } from './config.js';
import { loadMediaSettings, type MediaSettings } from './media.js';

/** Wire protocol a provider speaks. */
export type ProviderFamily = 'openai' | 'anthropic' | 'ollama';

/** Who may be reached through a client-supplied base_url (server-configured URLs are always trusted). */
export type ProviderUrlPolicy = 'local' | 'public' | 'any';

interface ProviderSpec {
  id: string;
  family: ProviderFamily;
  /** Base URL variables, first non-empty wins. */
  baseUrlEnv: string[];
  defaultBaseUrl: string;
  keyEnv?: string;
  /** A hosted API that answers nothing without a key: listed only when the key is set. */
  keyRequired: boolean;
}

const SPECS: ProviderSpec[] = [
  { id: 'openai', family: 'openai', baseUrlEnv: ['OPENAI_BASE_URL'], defaultBaseUrl: 'https://api.openai.com/v1', keyEnv: 'OPENAI_API_KEY', keyRequired: true },
  { id: 'anthropic', family: 'anthropic', baseUrlEnv: ['ANTHROPIC_BASE_URL'], defaultBaseUrl: 'https://api.anthropic.com', keyEnv: 'ANTHROPIC_API_KEY', keyRequired: true },
  { id: 'openrouter', family: 'openai', baseUrlEnv: ['OPENROUTER_BASE_URL'], defaultBaseUrl: 'https://openrouter.ai/api/v1', keyEnv: 'OPENROUTER_API_KEY', keyRequired: true },
  { id: 'ollama', family: 'ollama', baseUrlEnv: ['OLLAMA_BASE_URL', 'OLLAMA_HOST'], defaultBaseUrl: 'http://localhost:11434', keyRequired: false },
  { id: 'lmstudio', family: 'openai', baseUrlEnv: ['LMSTUDIO_BASE_URL'], defaultBaseUrl: 'http://localhost:1234/v1', keyRequired: false },
  { id: 'vllm', family: 'openai', baseUrlEnv: ['VLLM_BASE_URL'], defaultBaseUrl: 'http://localhost:8000/v1', keyEnv: 'VLLM_API_KEY', keyRequired: false },
  { id: 'openai-compatible', family: 'openai', baseUrlEnv: ['OPENAI_COMPATIBLE_BASE_URL'], defaultBaseUrl: 'http://localhost:1234/v1', keyEnv: 'OPENAI_COMPATIBLE_API_KEY', keyRequired: false },
];

/** One usable provider: where it lives and the key that may be sent there (and nowhere else). */
export interface ProviderConnection {
  id: string;
  family: ProviderFamily;
  baseUrl: string;
  apiKey?: string;
  /** True when the base URL came from the environment rather than the documented default. */
  baseUrlConfigured: boolean;
  /** Local engines (LM Studio, Ollama, vLLM) need no key. */
  keyRequired: boolean;
}

/** A known provider that is not usable yet, and what to set to make it so. */
export interface UnconfiguredProvider {
  id: string;
  family: ProviderFamily;
  baseUrl: string;
  /** e.g. "set OPENAI_API_KEY (and optionally OPENAI_BASE_URL)" */
  hint: string;
}

export interface ProviderSettings {
  connections: ProviderConnection[];
  unconfigured: UnconfiguredProvider[];
  /** ABSTRACTGATEWAY_PROVIDER / ABSTRACTGATEWAY_MODEL: the last step of model resolution (§7.1). */
  envDefault: { provider?: string; model?: string };
  /** ABSTRACTGATEWAY_LLM_TIMEOUT_S: one attempt of one chat call, streaming included. */
  requestTimeoutMs: number;
  /** ABSTRACTGATEWAY_PROVIDER_MODELS_TIMEOUT_S (+ aliases), clamped 1–60 s (discovery §2.6). */
  modelsTimeoutMs: number;
  /** ABSTRACTGATEWAY_PROVIDER_MAX_RETRIES: retries after a 429/5xx or a dropped connection. */
  maxRetries: number;
  /** ABSTRACTGATEWAY_PROVIDER_CONCURRENCY: requests in flight per provider; more wait their turn. */
  concurrency: number;
  urlPolicy: ProviderUrlPolicy;
  /** Media generation backends (config/media.ts): the Core server, timeouts, byte caps. */
  media: MediaSettings;
}

type Env = Record<string, string | undefined>;

const value = (env: Env, names: string[]) => names.map((n) => env[n]?.trim()).find((v) => v);

/** OLLAMA_HOST is often `host:port` without a scheme. */
function withScheme(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
}

export function checkedUrl(name: string, raw: string): string {
  const url = withScheme(raw);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got '${raw}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(`${name} must be an http(s) URL, got '${raw}'`);
  return url.replace(/\/+$/, '');
}

function urlPolicy(env: Env): ProviderUrlPolicy {
  if (parseBool(env.ABSTRACTGATEWAY_ALLOW_PRIVATE_PROVIDER_URLS, false, 'ABSTRACTGATEWAY_ALLOW_PRIVATE_PROVIDER_URLS')) return 'any';
  const raw = (env.ABSTRACTGATEWAY_PROVIDER_URL_POLICY ?? '').trim().toLowerCase() || 'local';
  if (raw === 'local' || raw === 'public' || raw === 'any') return raw;
  throw new ConfigError(`ABSTRACTGATEWAY_PROVIDER_URL_POLICY must be local, public or any, got '${raw}'`);
}

export function loadProviderSettings(env: Env): ProviderSettings {
  const connections: ProviderConnection[] = [];
  const unconfigured: UnconfiguredProvider[] = [];
  for (const spec of SPECS) {
    const urlEnv = spec.baseUrlEnv.find((n) => env[n]?.trim());
    const baseUrl = urlEnv ? checkedUrl(urlEnv, env[urlEnv]!.trim()) : spec.defaultBaseUrl;
    const apiKey = spec.keyEnv ? value(env, [spec.keyEnv]) : undefined;
    if (spec.keyRequired && !apiKey) {
      unconfigured.push({ id: spec.id, family: spec.family, baseUrl, hint: `set ${spec.keyEnv} (and optionally ${spec.baseUrlEnv[0]})` });
      continue;
    }
    connections.push({ id: spec.id, family: spec.family, baseUrl, apiKey, baseUrlConfigured: urlEnv !== undefined, keyRequired: spec.keyRequired });
  }
  const modelsTimeoutS = Number(value(env, ['ABSTRACTGATEWAY_PROVIDER_MODELS_TIMEOUT_S', 'ABSTRACTCORE_PROVIDER_MODELS_TIMEOUT_S', 'ABSTRACTGATEWAY_DISCOVERY_MODEL_TIMEOUT_S', 'ABSTRACTCORE_DISCOVERY_MODEL_TIMEOUT_S']) ?? 30);
  if (!Number.isFinite(modelsTimeoutS)) throw new ConfigError('ABSTRACTGATEWAY_PROVIDER_MODELS_TIMEOUT_S must be a number of seconds');
  const provider = value(env, ['ABSTRACTGATEWAY_PROVIDER'])?.toLowerCase();
  const model = value(env, ['ABSTRACTGATEWAY_MODEL']);
  return {
    connections,
    unconfigured,
    envDefault: { provider, model },
    requestTimeoutMs: Math.round(positiveNumber(env, 'ABSTRACTGATEWAY_LLM_TIMEOUT_S', 300) * 1000),
    modelsTimeoutMs: Math.round(Math.min(60, Math.max(1, modelsTimeoutS)) * 1000),
    maxRetries: positiveNumber(env, 'ABSTRACTGATEWAY_PROVIDER_MAX_RETRIES', 3, { integer: true, allowZero: true }),
    concurrency: positiveNumber(env, 'ABSTRACTGATEWAY_PROVIDER_CONCURRENCY', 8, { integer: true }),
    urlPolicy: urlPolicy(env),
    media: loadMediaSettings(env),
  };
}
