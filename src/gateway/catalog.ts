// The `gateway_catalog_v1` envelope every catalog route answers with (spec discovery §2.1): the
// payload with its legacy fields, normalised defaults, plus `items` (what thin clients read) and a
// `catalog` metadata object.

export type CatalogKind = 'providers' | 'models' | 'voices' | 'adapters';

export interface CatalogOptions {
  kind: CatalogKind;
  scope: string;
  items: Record<string, unknown>[];
  /** Route parameters echoed in `catalog` when given (`provider`, `task`, `include_models`, …). */
  meta?: Record<string, unknown>;
  now?: Date;
}

const ROUTE_SOURCE = 'abstractruntime.discovery_facade';

export function catalogEnvelope(payload: Record<string, unknown>, o: CatalogOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {
    route_available: true,
    available: Object.keys(payload).length > 0,
    stale: false,
    error: null,
    refreshed_at: (o.now ?? new Date()).toISOString(),
    ...payload,
  };
  if (typeof payload.source === 'string' && payload.source && payload.source !== ROUTE_SOURCE && body.upstream_source === undefined) body.upstream_source = payload.source;
  body.source = ROUTE_SOURCE;
  const catalog: Record<string, unknown> = {
    contract: 'gateway_catalog_v1',
    version: 1,
    kind: o.kind,
    scope: o.scope,
    primary_items_field: 'items',
    source: 'abstractgateway.catalog',
    route_source: ROUTE_SOURCE,
    available: Boolean(body.available),
    route_available: body.route_available !== false,
  };
  if (typeof body.upstream_source === 'string') catalog.upstream_source = body.upstream_source;
  if (typeof body.error === 'string' && body.error) catalog.error = body.error;
  for (const [k, v] of Object.entries(o.meta ?? {})) if (v !== null && v !== undefined && v !== '') catalog[k] = v;
  return { ...body, items: o.items, catalog };
}
