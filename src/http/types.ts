// Shared HTTP types: the Fastify instance flavour every route module receives.
import '@fastify/swagger'; // augments route schemas with tags/summary/security

import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Host } from '../gateway/host.js';

export type GatewayApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The data plane (store, bundles, runtime) this request operates on. */
    plane: Host;
  }
}
