// LLM providers by name (DESIGN: "effects call the registry, never a client directly"). The
// composition root fills one registry per process from the environment (config/providers.ts).
// Two ways in:
//   require(name)            the server-configured provider, or a coded error naming what to set;
//   connect(name, {base_url, api_key})  a caller-chosen endpoint (discovery query, run input, node
//                            config). The server's key goes only to the base URL it was configured
//                            for; any other URL gets the caller's key or none, and must pass the
//                            egress policy (url-policy.ts).

import type { MediaSettings } from '../config/media.js';
import type { ProviderConnection, ProviderSettings, ProviderUrlPolicy, UnconfiguredProvider } from '../config/providers.js';
import { GatewayError } from '../errors.js';
import { AnthropicProvider } from './anthropic.js';
import type { ProviderOptions } from './base.js';
import { Limiter } from './limiter.js';
import { MediaBackends } from './media-backends.js';
import { OllamaProvider } from './ollama.js';
import { OpenAiCompatibleProvider } from './openai-compatible.js';
import { readCapabilityRoute, readTextCapabilityDefault, resolveMediaModel, resolveModel, type ModelChoice, type ModelRef, type ResolutionLayers } from './resolve.js';
import type { LlmProvider } from './types.js';
import { checkClientBaseUrl, guardedLookup, sameUrl } from './url-policy.js';

export interface RegistryOptions {
  timeoutMs: number;
  maxRetries: number;
  concurrency: number;
  urlPolicy: ProviderUrlPolicy;
  /** Discovery's model-listing timeout (spec discovery §2.6). */
  modelsTimeoutMs: number;
  /** Known providers that lack their key: named in errors and discovery hints. */
  unconfigured?: UnconfiguredProvider[];
  /** First backoff step without Retry-After (tests shorten it). */
  retryBaseMs?: number;
  /** ABSTRACTGATEWAY_PROVIDER / ABSTRACTGATEWAY_MODEL: the last layer of model resolution. */
  envDefault?: ModelRef;
  /** Media backends (Core server, timeouts, byte caps); absent: the documented defaults, no Core server. */
  media?: MediaSettings;
}

export interface ConnectOptions {
  /** A caller-chosen base URL: never receives the server's key. */
  base_url?: string;
  /** A caller-supplied key (X-Provider-API-Key, run input): used instead of the server's. */
  api_key?: string;
}

export function createProvider(o: ProviderOptions): LlmProvider {
  switch (o.family) {
    case 'anthropic':
      return new AnthropicProvider(o);
    case 'ollama':
      return new OllamaProvider(o);
    default:
      return new OpenAiCompatibleProvider(o);
  }
}

interface Entry {
  provider: LlmProvider;
  connection: ProviderConnection;
  limiter: Limiter;
}

export class ProviderRegistry {
  private readonly byName = new Map<string, Entry>();
  private readonly unconfigured = new Map<string, UnconfiguredProvider>();
  /** Image and speech generation endpoints, chosen per request (media-backends.ts). */
  readonly media: MediaBackends;

  constructor(readonly options: RegistryOptions) {
    for (const u of options.unconfigured ?? []) this.unconfigured.set(u.id, u);
    this.media = new MediaBackends({ ...options, settings: options.media, connection: (name) => this.byName.get(name.trim().toLowerCase())?.connection });
  }

  static fromSettings(s: ProviderSettings, extra: { retryBaseMs?: number } = {}): ProviderRegistry {
    const registry = new ProviderRegistry({ ...s, timeoutMs: s.requestTimeoutMs, ...extra });
    for (const c of s.connections) registry.add(c);
    return registry;
  }

  /** Register a provider connection (env-configured, or an embedder's own). */
  add(connection: ProviderConnection): LlmProvider {
    const name = connection.id.trim().toLowerCase();
    if (!name) throw new Error('provider name must be non-empty');
    if (this.byName.has(name)) throw new Error(`provider '${name}' is already registered`);
    const limiter = new Limiter(this.options.concurrency);
    const provider = createProvider(this.providerOptions({ ...connection, id: name }, limiter));
    this.byName.set(name, { provider, connection: { ...connection, id: name }, limiter });
    this.unconfigured.delete(name);
    return provider;
  }

  get(name: string): LlmProvider | undefined {
    return this.byName.get(name.trim().toLowerCase())?.provider;
  }

  list(): LlmProvider[] {
    return [...this.byName.values()].map((e) => e.provider);
  }

  /** Known providers that are not usable yet, with what to configure. */
  missing(): UnconfiguredProvider[] {
    return [...this.unconfigured.values()];
  }

  /** The server-configured provider, or a coded error that says what to configure. */
  require(name: string): LlmProvider {
    const id = name.trim().toLowerCase();
    const entry = this.byName.get(id);
    if (entry) return entry.provider;
    const missing = this.unconfigured.get(id);
    if (missing) throw new GatewayError('GW_ERR_NOT_CONFIGURED', `LLM provider '${id}' is not configured: ${missing.hint}`);
    const known = [...this.byName.keys()].sort().join(', ') || 'none';
    throw new GatewayError('GW_ERR_NOT_FOUND', `Unknown LLM provider '${id}' (configured: ${known})`);
  }

  /** A provider for a caller-chosen endpoint and/or key; see the file comment for the key rule. */
  connect(name: string, o: ConnectOptions = {}): LlmProvider {
    const id = name.trim().toLowerCase();
    const baseUrl = o.base_url?.trim();
    const apiKey = o.api_key?.trim() || undefined;
    if (!baseUrl && !apiKey) return this.require(id);
    const entry = this.byName.get(id);
    const missing = this.unconfigured.get(id);
    if (!entry && !missing) return this.require(id);
    const family = entry?.connection.family ?? missing!.family;
    const configuredUrl = entry?.connection.baseUrl ?? missing!.baseUrl;
    if (!baseUrl || sameUrl(baseUrl, configuredUrl)) {
      // The configured endpoint: the server key may go there, unless the caller brought their own.
      if (!apiKey) return this.require(id);
      const limiter = entry?.limiter ?? new Limiter(this.options.concurrency);
      return createProvider(this.providerOptions({ id, family, baseUrl: configuredUrl, apiKey, baseUrlConfigured: true, keyRequired: false }, limiter));
    }
    const checked = checkClientBaseUrl(baseUrl, this.options.urlPolicy);
    return createProvider({
      ...this.providerOptions({ id, family, baseUrl: checked, apiKey, baseUrlConfigured: false, keyRequired: false }, new Limiter(this.options.concurrency)),
      lookup: guardedLookup(this.options.urlPolicy),
    });
  }

  /** The host's layers of model resolution: capability default (read live), then environment. */
  async hostDefaults(dataDir: string): Promise<Pick<ResolutionLayers, 'capability' | 'environment'>> {
    return { capability: await readTextCapabilityDefault(dataDir), environment: this.options.envDefault };
  }

  /** Provider and model for one call (spec §7.1): node → run input → host defaults; never a built-in model. */
  async resolveModel(dataDir: string, call: { node?: ModelRef; run?: ModelRef }): Promise<ModelChoice> {
    return resolveModel({ ...call, ...(await this.hostDefaults(dataDir)) });
  }

  /** Media provider/model for one request: the output spec, then the first capability route found (discovery §9.4). */
  async resolveMedia(dataDir: string, node: ModelRef, routes: string[]): Promise<{ provider?: string; model?: string }> {
    return resolveMediaModel(node, await readCapabilityRoute(dataDir, routes));
  }

  private providerOptions(c: ProviderConnection, limiter: Limiter): ProviderOptions {
    return { ...c, timeoutMs: this.options.timeoutMs, maxRetries: this.options.maxRetries, limiter, retryBaseMs: this.options.retryBaseMs };
  }
}
