// Which media backend answers a generation request (spec runtime-visualflow §7.5; docs/providers.md
// "Media backends"). First match wins:
//   1. a client-chosen `base_url` (run input or node config): an OpenAI-compatible endpoint that
//      must pass the egress policy (url-policy.ts) and never receives a server key — the caller's
//      own key or none. A URL equal to a configured endpoint is that endpoint.
//   2. ABSTRACTCORE_SERVER_BASE_URL: the AbstractCore server, for every media provider (it is the
//      one that knows `huggingface`, `audiodit`, …); the Core token goes there and nowhere else.
//   3. the media provider names an OpenAI-protocol provider of the registry (`openai`, `lmstudio`,
//      `vllm`, …): that provider's configured base URL and key. No provider named: `openai`.
//   4. otherwise a GW_ERR_NOT_CONFIGURED error naming what to set.

import type { ProviderConnection, ProviderUrlPolicy } from '../config/providers.js';
import { MEDIA_DEFAULTS, type MediaSettings } from '../config/media.js';
import { GatewayError } from '../errors.js';
import { Limiter } from './limiter.js';
import { MediaClient, type MediaClientOptions } from './media.js';
import { checkClientBaseUrl, guardedLookup, sameUrl } from './url-policy.js';

export interface MediaSelection {
  /** The media provider asked for (output spec or capability default), e.g. `huggingface`. */
  provider?: string;
  /** A caller-chosen endpoint. */
  base_url?: string;
  /** A caller-supplied key: used instead of a server key (Core: forwarded for the provider). */
  api_key?: string;
  /** For messages: `image_generation`, `tts`. */
  task: string;
}

export interface MediaBackendOptions {
  settings?: MediaSettings;
  urlPolicy: ProviderUrlPolicy;
  maxRetries: number;
  concurrency: number;
  retryBaseMs?: number;
  /** The registry's configured connection for a provider name. */
  connection(name: string): ProviderConnection | undefined;
}

const CORE = 'abstractcore';

export class MediaBackends {
  /** One client per configured endpoint: its keep-alive sockets and concurrency limit are shared. */
  private readonly clients = new Map<string, MediaClient>();
  private readonly settings: MediaSettings;

  constructor(private readonly o: MediaBackendOptions) {
    this.settings = o.settings ?? MEDIA_DEFAULTS;
  }

  /** Whether an AbstractCore server is configured (every media provider is then reachable). */
  get coreConfigured(): boolean {
    return this.settings.core !== undefined;
  }

  choose(sel: MediaSelection): MediaClient {
    const provider = sel.provider?.trim().toLowerCase() || undefined;
    const apiKey = sel.api_key?.trim() || undefined;
    const baseUrl = sel.base_url?.trim() || undefined;
    const core = this.settings.core;
    if (baseUrl) {
      if (core && (sameUrl(baseUrl, core.root) || sameUrl(baseUrl, `${core.root}/v1`))) return this.core(apiKey);
      const configured = provider ? this.openAiConnection(provider) : undefined;
      if (configured && sameUrl(baseUrl, configured.baseUrl)) return this.provider(configured, apiKey);
      return this.client({
        name: provider ?? 'client',
        dialect: 'openai',
        baseUrl: checkClientBaseUrl(baseUrl, this.o.urlPolicy),
        apiKey,
        lookup: guardedLookup(this.o.urlPolicy),
        limiter: new Limiter(this.o.concurrency),
      });
    }
    if (core) return this.core(apiKey);
    const connection = this.openAiConnection(provider ?? 'openai');
    if (connection) return this.provider(connection, apiKey);
    if (provider && this.o.connection(provider)) {
      throw new GatewayError('GW_ERR_NOT_CONFIGURED', `Provider '${provider}' has no media API (${sel.task}): set ABSTRACTCORE_SERVER_BASE_URL to an AbstractCore-compatible media server`);
    }
    if (provider && provider !== 'openai') {
      throw new GatewayError('GW_ERR_NOT_CONFIGURED', `Media provider '${provider}' (${sel.task}) is served through an AbstractCore-compatible media server: set ABSTRACTCORE_SERVER_BASE_URL`);
    }
    throw new GatewayError(
      'GW_ERR_NOT_CONFIGURED',
      `No media backend is configured for ${sel.task}: set ABSTRACTCORE_SERVER_BASE_URL (an AbstractCore-compatible media server), or OPENAI_API_KEY (and optionally OPENAI_BASE_URL) for an OpenAI-compatible images/speech API`,
    );
  }

  private openAiConnection(name: string): ProviderConnection | undefined {
    const c = this.o.connection(name);
    return c?.family === 'openai' ? c : undefined;
  }

  /** The Core server with its token; a caller's key rides along for the provider behind it. */
  private core(providerKey: string | undefined): MediaClient {
    const core = this.settings.core!;
    if (providerKey) return this.client({ name: CORE, dialect: 'abstractcore', baseUrl: core.root, apiKey: core.token, providerKey, limiter: this.shared(CORE).limiter });
    return this.shared(CORE);
  }

  /** A configured OpenAI-protocol provider: its key, or the caller's instead. */
  private provider(c: ProviderConnection, apiKey: string | undefined): MediaClient {
    if (apiKey) return this.client({ name: c.id, dialect: 'openai', baseUrl: c.baseUrl, apiKey, limiter: this.shared(c.id).limiter });
    return this.shared(c.id);
  }

  private shared(name: string): MediaClient {
    let client = this.clients.get(name);
    if (!client) {
      const limiter = new Limiter(this.o.concurrency);
      if (name === CORE) client = this.client({ name, dialect: 'abstractcore', baseUrl: this.settings.core!.root, apiKey: this.settings.core!.token, limiter });
      else {
        const c = this.o.connection(name)!;
        client = this.client({ name, dialect: 'openai', baseUrl: c.baseUrl, apiKey: c.apiKey, limiter });
      }
      this.clients.set(name, client);
    }
    return client;
  }

  private client(o: Pick<MediaClientOptions, 'name' | 'dialect' | 'baseUrl' | 'apiKey' | 'providerKey' | 'lookup' | 'limiter'>): MediaClient {
    const { timeoutMs, imageMaxBytes, audioMaxBytes } = this.settings;
    return new MediaClient({ ...o, timeoutMs, imageMaxBytes, audioMaxBytes, maxRetries: this.o.maxRetries, retryBaseMs: this.o.retryBaseMs });
  }
}
