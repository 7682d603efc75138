// Admin API of the users registry (spec security §3.6): users CRUD and retained runtimes
// (list, purge, transfer). Admin-only twice: the route-family guard (/admin) and each handler.
// Hosted mode only; in local mode there is no registry and these answer 404.

import { Type } from '@sinclair/typebox';
import { existsSync } from 'node:fs';
import { GatewayError, invalid, notFound } from '../../errors.js';
import type { HostedServices, Planes } from '../../gateway/plane.js';
import { publicUser } from '../../gateway/users.js';
import { isAdmin, safeComponent, type GatewayPrincipal } from '../../model/principal.js';
import { Nullable } from '../schema.js';
import type { GatewayApp } from '../types.js';

const Strict = { additionalProperties: false } as const;
const StrList = Type.Array(Type.String({ maxLength: 128 }), { maxItems: 64 });
const OptStr = (max: number) => Type.Optional(Nullable(Type.String({ maxLength: max })));

const CreateBody = Type.Object(
  {
    user_id: Type.String({ minLength: 1, maxLength: 256 }),
    tenant_id: Type.Optional(Type.String({ maxLength: 256 })),
    email: OptStr(254),
    roles: Type.Optional(StrList),
    scopes: Type.Optional(StrList),
    enabled: Type.Optional(Type.Boolean()),
    runtime_id: OptStr(256),
    token: OptStr(1024),
  },
  Strict,
);
const PatchBody = Type.Object(
  {
    email: OptStr(254),
    roles: Type.Optional(StrList),
    scopes: Type.Optional(StrList),
    enabled: Type.Optional(Type.Boolean()),
    runtime_id: OptStr(256),
    token: OptStr(1024),
    rotate_token: Type.Optional(Type.Boolean()),
  },
  Strict,
);
const UserParams = Type.Object({ user_id: Type.String() });
const TenantQuery = Type.Object({ tenant_id: Type.Optional(Type.String({ maxLength: 256 })) });
const RuntimeParams = Type.Object({ runtime_id: Type.String() });
const TransferBody = Type.Object({ tenant_id: Type.Optional(Type.String({ maxLength: 256 })), target_user_id: Type.String({ minLength: 1, maxLength: 256 }), confirm_runtime_id: Type.String({ maxLength: 256 }) }, Strict);
const PurgeBody = Type.Object({ tenant_id: Type.Optional(Type.String({ maxLength: 256 })), confirm_runtime_id: Type.String({ maxLength: 256 }), delete_data: Type.Optional(Type.Boolean()) }, Strict);

function adminOnly(gateway: Planes, p: GatewayPrincipal | null): HostedServices {
  if (!isAdmin(p)) throw new GatewayError('GW_ERR_FORBIDDEN', 'Admin principal required');
  if (!gateway.hosted) throw notFound('The users registry needs hosted mode (ABSTRACTGATEWAY_USER_AUTH=1)');
  return gateway.hosted;
}

/** The path runtime id must be confirmed in the body (spec §3.6: both normalised first). */
function confirmed(runtimeParam: string, confirm: string): string {
  const runtimeId = safeComponent(runtimeParam, '');
  if (!runtimeId) throw invalid('runtime_id is required');
  if (safeComponent(confirm, '') !== runtimeId) throw invalid('confirm_runtime_id must match the retained runtime id');
  return runtimeId;
}

export async function adminUserRoutes(app: GatewayApp, opts: { gateway: Planes }): Promise<void> {
  const { gateway } = opts;
  const tags = ['admin'];

  app.get('/admin/users', { schema: { tags, summary: 'Every user (all tenants), sorted by tenant and user id' } }, async (req) => {
    const h = adminOnly(gateway, req.principal);
    return { users: (await h.users.list()).map(publicUser) };
  });

  app.post('/admin/users', { schema: { tags, summary: 'Create a user → {user, token} (the token is shown once)', body: CreateBody } }, async (req) => {
    const h = adminOnly(gateway, req.principal);
    const { user, token } = await h.users.create(req.body);
    return { user: publicUser(user), token };
  });

  app.get('/admin/users/:user_id', { schema: { tags, summary: 'One user', params: UserParams, querystring: TenantQuery } }, async (req) => {
    const h = adminOnly(gateway, req.principal);
    return { user: publicUser(await h.users.get(req.query.tenant_id ?? 'default', req.params.user_id)) };
  });

  app.patch(
    '/admin/users/:user_id',
    { schema: { tags, summary: 'Edit email, roles, scopes, enabled, runtime; set or rotate the token (returned once)', params: UserParams, querystring: TenantQuery, body: PatchBody } },
    async (req) => {
      const h = adminOnly(gateway, req.principal);
      const b = req.body;
      const { user, token, previousRuntime } = await h.users.update(req.query.tenant_id ?? 'default', req.params.user_id, { ...b, rotate: b.rotate_token ?? false });
      // A disabled user's runner stops with the account; a moved user's old plane is not theirs any more.
      if (!user.enabled || previousRuntime !== user.runtime_id) await h.invalidate(user.tenant_id, previousRuntime);
      return token === undefined ? { user: publicUser(user) } : { user: publicUser(user), token };
    },
  );

  app.delete('/admin/users/:user_id', { schema: { tags, summary: 'Delete a user; its runtime id stays reserved', params: UserParams, querystring: TenantQuery } }, async (req) => {
    const h = adminOnly(gateway, req.principal);
    const tenantId = req.query.tenant_id ?? 'default';
    const removed = await h.users.delete(tenantId, req.params.user_id);
    await h.invalidate(removed.tenant_id, removed.runtime_id);
    return { ok: true, deleted: true, user_id: req.params.user_id, tenant_id: tenantId };
  });

  app.get('/admin/runtime-reservations', { schema: { tags, summary: 'Retained runtime ids, with where their data lives' } }, async (req) => {
    const h = adminOnly(gateway, req.principal);
    const reservations = await h.users.listReservations();
    return {
      runtime_reservations: reservations.map((r) => {
        const dataPath = h.runtimeDir(r.tenant_id, r.runtime_id);
        return { ...r, data_exists: existsSync(dataPath), data_path: dataPath };
      }),
    };
  });

  app.post(
    '/admin/runtime-reservations/:runtime_id/transfer',
    { schema: { tags, summary: 'Give a retained runtime to a user of the same tenant', params: RuntimeParams, body: TransferBody } },
    async (req) => {
      const h = adminOnly(gateway, req.principal);
      const runtimeId = confirmed(req.params.runtime_id, req.body.confirm_runtime_id);
      const tenantId = safeComponent(req.body.tenant_id, 'default');
      const { user, reservation, previousRuntime } = await h.users.transfer(tenantId, runtimeId, safeComponent(req.body.target_user_id, ''));
      await h.invalidate(tenantId, previousRuntime);
      await h.invalidate(tenantId, runtimeId);
      return { ok: true, transferred: true, user: publicUser(user), reservation, previous_runtime_id: previousRuntime };
    },
  );

  app.post(
    '/admin/runtime-reservations/:runtime_id/purge',
    { schema: { tags, summary: "Delete a retained runtime's data and free its id", params: RuntimeParams, body: PurgeBody } },
    async (req) => {
      const h = adminOnly(gateway, req.principal);
      const runtimeId = confirmed(req.params.runtime_id, req.body.confirm_runtime_id);
      const tenantId = safeComponent(req.body.tenant_id, 'default');
      if (req.body.delete_data === false) throw invalid('delete_data must be true to purge a retained runtime');
      // The default runtime is the root data plane here: purging it is not a user-runtime purge (spec §8 W24).
      if (h.config.adminUsesDefaultRuntime && tenantId === 'default' && runtimeId === 'default') throw invalid('The default runtime is the root data plane and cannot be purged');
      const reservation = await h.users.markPurging(tenantId, runtimeId);
      const { deletedData, dataPath } = await h.purgeRuntime(tenantId, reservation.runtime_id);
      const purged = await h.users.releaseReservation(tenantId, reservation.runtime_id);
      return { ok: true, purged, deleted_data: deletedData, runtime_id: reservation.runtime_id, tenant_id: tenantId, data_path: dataPath };
    },
  );
}
