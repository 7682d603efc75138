// Discovery (spec discovery §2.4–§2.7): the configured LLM providers, their models read live from
// each endpoint, and model capabilities. Thin: the answers come from gateway/discovery.ts.
// Tools are listed by ./discovery-tools.ts.

import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { listProviderModels, listProviders, modelCapabilities } from '../../gateway/discovery.js';
import type { ProviderRegistry } from '../../providers/registry.js';
import type { GatewayApp } from '../types.js';

/** A provider key the caller brings for this request (spec discovery §0.3). */
function callerKey(req: FastifyRequest): string | undefined {
  for (const h of ['x-abstractcore-provider-api-key', 'x-provider-api-key']) {
    const v = req.headers[h];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return undefined;
}

export async function discoveryRoutes(app: GatewayApp, opts: { providers: ProviderRegistry; dataDir: string }): Promise<void> {
  app.get(
    '/discovery/providers',
    {
      schema: {
        tags: ['discovery'],
        summary: 'Configured LLM providers and the default provider/model',
        querystring: Type.Object({ include_models: Type.Optional(Type.Boolean()) }),
      },
    },
    async (req) => listProviders(opts.providers, opts.dataDir, { include_models: req.query.include_models }),
  );
  app.get(
    '/discovery/providers/:provider_name/models',
    {
      schema: {
        tags: ['discovery'],
        summary: "Models a provider serves, read live from its endpoint (a caller's base_url never receives the server's key)",
        params: Type.Object({ provider_name: Type.String() }),
        querystring: Type.Object({
          base_url: Type.Optional(Type.String()),
          input_type: Type.Optional(Type.String()),
          output_type: Type.Optional(Type.String()),
          capability_route: Type.Optional(Type.Array(Type.String())),
        }),
      },
    },
    async (req) => listProviderModels(opts.providers, req.params.provider_name, { ...req.query, api_key: callerKey(req) }),
  );
  app.get(
    '/discovery/models/capabilities',
    { schema: { tags: ['discovery'], summary: 'What a model can do', querystring: Type.Object({ model_name: Type.String() }) } },
    async (req) => modelCapabilities(req.query.model_name),
  );
}
