// OpenAPI document from the route schemas (spec core §9) and Swagger UI served from the package's
// own static files, so /docs works offline. Register before any route: @fastify/swagger collects
// routes as they are added.

import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifySchema } from 'fastify';
import type { GatewayApp } from './types.js';

const BEARER = 'gatewayBearerAuth';
const underGateway = (url: string) => url === '/api/gateway' || url.startsWith('/api/gateway/');

/**
 * Parameters with a default are optional for clients; the route schemas list them as required
 * only so that Ajv fills the default in.
 */
function defaultsOptional(s: unknown): unknown {
  const obj = s as { properties?: Record<string, { default?: unknown }>; required?: string[] } | undefined;
  if (!obj?.properties || !Array.isArray(obj.required)) return s;
  return { ...obj, required: obj.required.filter((k) => obj.properties![k]?.default === undefined) };
}

/** Every gateway operation requires the bearer scheme; anything else keeps its own security. */
function transform({ schema, url }: { schema: FastifySchema; url: string }) {
  const doc = schema?.querystring ? { ...schema, querystring: defaultsOptional(schema.querystring) } : schema;
  if (!underGateway(url)) return { schema: doc, url };
  return { schema: { ...doc, security: [...(doc?.security ?? []), { [BEARER]: [] }] }, url };
}

// Swagger UI needs inline styles (React style attributes); scripts are all same-origin files.
const DOCS_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export async function registerOpenApi(app: GatewayApp): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'AbstractGateway',
        version: '0.2.27',
        description: 'Durable Run Gateway for AbstractRuntime (commands + ledger replay/stream).',
      },
      components: { securitySchemes: { [BEARER]: { type: 'http', scheme: 'bearer' } } },
    },
    transform,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // /redoc is the same viewer (the reference serves one page at both paths). Each copy lives in its
  // own plugin scope because the UI plugin decorates its instance.
  for (const routePrefix of ['/docs', '/redoc']) {
    await app.register(async (scope) => {
      await scope.register(swaggerUi, {
        routePrefix,
        staticCSP: DOCS_CSP,
        theme: { title: 'AbstractGateway API Docs' },
      });
    });
  }
}
