// Shared HTTP types: the Fastify instance flavour every route module receives.
import '@fastify/swagger'; // augments route schemas with tags/summary/security

import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { DataPlane } from '../gateway/plane.js';

export type GatewayApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The data plane of the caller's runtime scope: every route works through it. */
    plane: DataPlane;
  }
}
