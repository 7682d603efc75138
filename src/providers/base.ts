// What the three protocol clients share: their connection (name, base URL, key, limits) and the
// public description discovery shows. Each subclass decides how its key is sent — to its own
// base URL only, through its HttpClient.

import type { ProviderConnection } from '../config/providers.js';
import type { LookupFunction } from 'node:net';
import { HttpClient } from './http-client.js';
import type { Limiter } from './limiter.js';
import type { ChatRequest, ChatResult, ListModelsOptions, LlmProvider, ProviderInfo } from './types.js';

export interface ProviderOptions extends ProviderConnection {
  timeoutMs: number;
  maxRetries: number;
  limiter: Limiter;
  /** Client-chosen base URLs only: the guarded DNS lookup of url-policy.ts. */
  lookup?: LookupFunction;
  retryBaseMs?: number;
}

export abstract class BaseProvider implements LlmProvider {
  protected readonly http: HttpClient;

  constructor(protected readonly o: ProviderOptions) {
    this.http = new HttpClient({ ...o, name: o.id, headers: this.authHeaders(o.apiKey) });
  }

  get name(): string {
    return this.o.id;
  }

  get family() {
    return this.o.family;
  }

  /** Headers carrying the key; sent only by this provider's HttpClient, i.e. only to o.baseUrl. */
  protected abstract authHeaders(apiKey: string | undefined): Record<string, string>;
  abstract chat(request: ChatRequest): Promise<ChatResult>;
  abstract listModels(options?: ListModelsOptions): Promise<string[]>;

  info(): ProviderInfo {
    return {
      name: this.o.id,
      family: this.o.family,
      base_url: this.http.baseUrl,
      base_url_configured: this.o.baseUrlConfigured,
      api_key_set: Boolean(this.o.apiKey),
      authentication_required: this.o.keyRequired,
    };
  }
}

/** Sorted, de-duplicated, non-empty model ids. */
export function modelIds(values: unknown[]): string[] {
  const ids = values.filter((v): v is string => typeof v === 'string' && v.trim() !== '');
  return [...new Set(ids)].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
}
