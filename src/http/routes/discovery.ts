// Discovery (spec clients.md §5: "may return empty"): providers the gateway can offer, from the
// process's provider registry. Tools are listed by ./discovery-tools.ts.

import { Type } from '@sinclair/typebox';
import type { ProviderRegistry } from '../../providers/registry.js';
import type { GatewayApp } from '../types.js';

export async function discoveryRoutes(app: GatewayApp, opts: { providers: ProviderRegistry }): Promise<void> {
  app.get(
    '/discovery/providers',
    { schema: { tags: ['discovery'], summary: 'Configured LLM providers', querystring: Type.Object({ include_models: Type.Optional(Type.Boolean()) }) } },
    async () => ({ items: opts.providers.list().map((p) => ({ name: p.name })) }),
  );
  app.get(
    '/discovery/providers/:provider/models',
    { schema: { tags: ['discovery'], summary: 'Models of a provider', params: Type.Object({ provider: Type.String() }) } },
    async (req) => ({ provider: req.params.provider, models: [], error: `Provider '${req.params.provider}' is not configured` }),
  );
}
