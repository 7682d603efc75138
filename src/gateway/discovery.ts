// Discovery of LLM providers and models (spec discovery §2.5–§2.7). Providers are the registry's
// (configured from the environment); model lists are read live from each endpoint. A caller may
// name another base URL or bring a key (X-Provider-API-Key): the registry's connect() makes sure
// the server's key never travels to a URL the caller chose.

import { GatewayError, invalid } from '../errors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ModelRef } from '../providers/resolve.js';
import type { LlmProvider } from '../providers/types.js';
import { catalogEnvelope } from './catalog.js';

const DEFAULT_ERROR =
  'No provider/model is configured for provider discovery defaults. Provide provider and model in the request, supply workflow defaults, ' +
  'or configure the execution-host output.text capability default (or ABSTRACTGATEWAY_PROVIDER and ABSTRACTGATEWAY_MODEL).';

const LOCAL_FAMILY_IDS = new Set(['ollama', 'lmstudio', 'vllm', 'openai-compatible']);

const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

function providerItem(p: LlmProvider): Record<string, unknown> {
  const info = p.info();
  return {
    id: info.name,
    name: info.name,
    label: info.name,
    display_name: info.name,
    provider: info.name,
    type: info.family,
    provider_family: info.family,
    virtual: false,
    local_provider: LOCAL_FAMILY_IDS.has(info.name),
    base_url: info.base_url,
    base_url_configured: info.base_url_configured,
    api_key_set: info.api_key_set,
    authentication_required: info.authentication_required,
  };
}

/** Host defaults for `/discovery/providers`: capability default first, then the environment. */
async function discoveryDefaults(registry: ProviderRegistry, dataDir: string): Promise<Record<string, unknown>> {
  const { capability, environment } = await registry.hostDefaults(dataDir);
  const pick = (ref: ModelRef | undefined) => (text(ref?.provider) && text(ref?.model) ? { provider: text(ref!.provider)!.toLowerCase(), model: text(ref!.model)! } : undefined);
  const cap = pick(capability);
  if (cap) return { default_provider: cap.provider, default_model: cap.model, default_source: 'abstractcore.capability_defaults' };
  const env = pick(environment);
  if (env) return { default_provider: env.provider, default_model: env.model, default_source: 'environment' };
  return { default_provider: null, default_model: null, default_error: DEFAULT_ERROR };
}

export async function listProviders(registry: ProviderRegistry, dataDir: string, o: { include_models?: boolean } = {}) {
  const items = await Promise.all(
    registry
      .list()
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(async (p) => {
        const item = providerItem(p);
        if (!o.include_models) return item;
        try {
          const models = await p.listModels({ timeoutMs: registry.options.modelsTimeoutMs });
          return { ...item, models, model_count: models.length, status: 'available' };
        } catch (err) {
          return { ...item, models: [], status: 'unavailable', error: (err as Error).message };
        }
      }),
  );
  const payload = {
    items,
    available: items.length > 0,
    route_available: true,
    source: 'abstractruntime.discovery_facade',
    ...(await discoveryDefaults(registry, dataDir)),
    // Not in the reference: known providers that need a key, and which variable to set.
    unconfigured_providers: registry.missing().map((m) => ({ name: m.id, provider_family: m.family, hint: m.hint })),
  };
  return catalogEnvelope(payload, { kind: 'providers', scope: 'text', items, meta: { include_models: o.include_models } });
}

export interface ModelsQuery {
  base_url?: string;
  /** From X-AbstractCore-Provider-API-Key / X-Provider-API-Key. */
  api_key?: string;
  input_type?: string;
  output_type?: string;
  capability_route?: string[];
}

export async function listProviderModels(registry: ProviderRegistry, providerName: string, q: ModelsQuery = {}) {
  const name = providerName.trim().toLowerCase();
  if (!name) throw invalid('provider_name is required');
  const envelope = (models: string[], error?: string) =>
    catalogEnvelope(
      { provider: name, models, available: models.length > 0, route_available: true, source: 'abstractruntime.discovery_facade', ...(error ? { error } : {}) },
      { kind: 'models', scope: 'text', items: models.map((m) => ({ id: m, label: m, provider: name })), meta: { provider: name } },
    );
  let provider: LlmProvider;
  try {
    provider = registry.connect(name, { base_url: q.base_url, api_key: q.api_key });
  } catch (err) {
    // A provider that is unknown or lacks its key is "not constructible": 200 with the reason (§2.1).
    if (err instanceof GatewayError && (err.code === 'GW_ERR_NOT_CONFIGURED' || err.code === 'GW_ERR_NOT_FOUND')) return envelope([], err.message);
    throw err;
  }
  try {
    return envelope(await provider.listModels({ timeoutMs: registry.options.modelsTimeoutMs }));
  } catch (err) {
    // Upstream failures (auth, network, timeout) are 502 with the provider's message (§2.1).
    if (err instanceof GatewayError && err.code === 'GW_ERR_UPSTREAM_TIMEOUT') throw new GatewayError('GW_ERR_UPSTREAM', err.message, { cause: err });
    throw err;
  }
}

/** Spec §2.7: no model-capability catalog is bundled, so the honest answer is empty with the reason. */
export function modelCapabilities(modelName: string) {
  const model = modelName.trim();
  if (!model) throw invalid('model_name is required');
  return { model, capabilities: {}, error: 'No model capability catalog is available in this gateway; capabilities are not known for this model' };
}
