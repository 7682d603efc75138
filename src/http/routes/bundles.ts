// Bundle routes (spec core-api §2.4): discovery for thin clients, upload/reload/delete of
// `.flow` files, deprecations, and `GET /workflows/{workflow_id}/flow`.

import multipart, { type MultipartFile } from '@fastify/multipart';
import { Type, type TObject } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import {
  bundleDetail,
  bundleFlow,
  bundleFlowInputSchema,
  deprecate,
  installUpload,
  listBundles,
  reloadBundles,
  removeBundle,
  undeprecate,
  workflowFlow,
} from '../../gateway/bundles.js';
import { splitBundleRef } from '../../bundles/versions.js';
import { isPlainObject } from '../../model/json.js';
import { GatewayError, invalid } from '../../errors.js';
import { OptionalId, OptionalString } from '../schema.js';
import type { GatewayApp } from '../types.js';

const TAGS = ['bundles'];

const BundleParams = Type.Object({ bundle_id: Type.String({ description: "Bundle id, or 'id@version'" }) });
const FlowParams = Type.Object({
  bundle_id: Type.String({ description: "Bundle id, or 'id@version'" }),
  flow_id: Type.String({ description: "Flow id, or namespaced 'id[@version]:flow_id' (bundle part must match)" }),
});
const VersionQuery = Type.Object({
  bundle_version: Type.Optional(Type.String({ description: 'Bundle version (default: latest)' })),
});
const ListQuery = Type.Object({
  all_versions: Type.Boolean({ default: false, description: 'One item per loaded version instead of the latest only' }),
  include_drafts: Type.Boolean({ default: false, description: "Include 'draft.*' versions" }),
  include_deprecated: Type.Boolean({ default: false, description: 'Include deprecated entrypoints (flagged)' }),
});
const DeleteQuery = Type.Object({
  bundle_version: Type.Optional(Type.String({ description: 'Version to remove (default: every version)' })),
  reload: Type.Boolean({ default: true, description: 'Reload the registry after removal' }),
});
const DeprecateBody = Type.Object({
  flow_id: OptionalId("Entrypoint flow id; omitted or empty = whole bundle ('*')"),
  reason: OptionalString('Why (deprecate only)'),
});
const UploadBody = Type.Object({
  file: Type.Unknown({ description: 'The .flow bundle (zip) as a file part' }),
  overwrite: Type.Boolean({ default: false, description: 'Replace an installed bundle with the same id@version' }),
  reload: Type.Boolean({ default: true, description: 'Reload the registry after install' }),
});
const WorkflowParams = Type.Object({ workflow_id: Type.String({ description: "'<bundle_ref>:<flow_id>' or a dynamic workflow id" }) });

/** A file part, read whole up to `max` bytes; `size` counts every byte sent. */
class UploadedFile {
  constructor(
    readonly bytes: Buffer,
    readonly size: number,
  ) {}
}

async function readUpload(part: MultipartFile, max: number): Promise<UploadedFile> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of part.file) {
    size += chunk.length;
    if (size <= max) chunks.push(chunk);
  }
  return new UploadedFile(Buffer.concat(chunks), size);
}

/**
 * A multipart body as {field: value}, its file part read up to `max` bytes (counted in full).
 * Busboy throws plain Errors on a missing or oversized boundary and on truncated or malformed
 * parts; all of them are the request's fault, so they answer 400.
 */
async function formBody(req: FastifyRequest, max: number): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = Object.create(null);
  try {
    for await (const part of req.parts()) {
      body[part.fieldname] = part.type === 'file' ? await readUpload(part, max) : part.value;
    }
  } catch (err) {
    const status = (err as { statusCode?: unknown }).statusCode;
    if (err instanceof GatewayError || (typeof status === 'number' && status === 413)) throw err;
    throw invalid(`Malformed multipart/form-data body: ${(err as Error).message}`);
  }
  return { ...body };
}

// Form and query booleans are parsed like FastAPI/pydantic (Ajv alone only takes true/false).
const TRUE = new Set(['1', 'true', 't', 'yes', 'y', 'on']);
const FALSE = new Set(['0', 'false', 'f', 'no', 'n', 'off']);

/** preValidation hook turning pydantic-style boolean strings of `schema`'s boolean fields into booleans. */
function pythonBools(source: 'query' | 'body', schema: TObject) {
  const keys = Object.entries(schema.properties).filter(([, s]) => s.type === 'boolean').map(([k]) => k);
  return async (req: FastifyRequest) => {
    const values = req[source];
    if (!isPlainObject(values)) return;
    for (const k of keys) {
      const v = typeof values[k] === 'string' ? values[k].trim().toLowerCase() : undefined;
      if (v !== undefined && TRUE.has(v)) values[k] = true;
      else if (v !== undefined && FALSE.has(v)) values[k] = false;
    }
  };
}

/** `maxBundleBytes`: ABSTRACTGATEWAY_MAX_BUNDLE_BYTES, as read by the security config. */
export async function bundleRoutes(app: GatewayApp, opts: { maxBundleBytes: number }): Promise<void> {
  const maxBytes = opts.maxBundleBytes;
  // Scoped to this plugin (its four POST routes): multipart bodies are read by formBody(), so
  // that a malformed one is the client's 400, never a 500.
  await app.register(multipart, { limits: { files: 1 } });
  app.addHook('preValidation', async (req) => {
    if (req.isMultipart()) req.body = await formBody(req, maxBytes);
  });

  app.get(
    '/bundles',
    { schema: { tags: TAGS, summary: 'List loaded bundles and their entrypoints', querystring: ListQuery }, preValidation: pythonBools('query', ListQuery) },
    async (req) => listBundles(req.plane, req.query),
  );

  app.post('/bundles/reload', { schema: { tags: TAGS, summary: 'Reload the bundle directory (bad bundles are skipped and listed)' } }, async (req) =>
    reloadBundles(req.plane),
  );

  app.post(
    '/bundles/upload',
    {
      schema: { tags: TAGS, summary: 'Install an uploaded .flow bundle', consumes: ['multipart/form-data'], body: UploadBody },
      preValidation: pythonBools('body', UploadBody),
    },
    async (req) => {
      const { file, overwrite, reload } = req.body;
      if (!(file instanceof UploadedFile)) {
        throw new GatewayError('GW_ERR_VALIDATION', 'Expected a file upload', {
          detail: [{ type: 'value_error', loc: ['body', 'file'], msg: 'Expected a file upload', input: null }],
        });
      }
      if (file.size > maxBytes) throw new GatewayError('GW_ERR_TOO_LARGE', `Bundle too large (${file.size} bytes > ${maxBytes} bytes)`);
      return installUpload(req.plane, file.bytes, { overwrite, reload });
    },
  );

  app.delete(
    '/bundles/:bundle_id',
    {
      schema: { tags: TAGS, summary: 'Remove installed bundle files (one version or all)', params: BundleParams, querystring: DeleteQuery },
      preValidation: pythonBools('query', DeleteQuery),
    },
    async (req) => {
      // A trailing ".flow" is tolerated: clients sometimes pass the file name.
      const ref = splitBundleRef(req.params.bundle_id.trim().replace(/\.flow$/i, ''));
      if (!ref.bundleId) throw invalid('bundle_id is required');
      const explicit = req.query.bundle_version?.trim() || undefined;
      if (ref.version && explicit && ref.version !== explicit) throw invalid('bundle_id version does not match bundle_version');
      return removeBundle(req.plane, ref.bundleId, explicit ?? ref.version, { reload: req.query.reload });
    },
  );

  app.post(
    '/bundles/:bundle_id/deprecate',
    { schema: { tags: TAGS, summary: 'Deprecate an entrypoint (or the whole bundle) across all versions', params: BundleParams, body: DeprecateBody } },
    async (req) => {
      const bundleId = req.params.bundle_id.trim();
      if (!bundleId) throw invalid('bundle_id is required');
      return deprecate(req.plane, bundleId, req.body.flow_id?.trim() ?? '', req.body.reason?.trim() ?? '');
    },
  );

  app.post(
    '/bundles/:bundle_id/undeprecate',
    { schema: { tags: TAGS, summary: 'Remove a deprecation record', params: BundleParams, body: DeprecateBody } },
    async (req) => {
      const bundleId = req.params.bundle_id.trim();
      if (!bundleId) throw invalid('bundle_id is required');
      return undeprecate(req.plane, bundleId, req.body.flow_id?.trim() ?? '');
    },
  );

  app.get(
    '/bundles/:bundle_id',
    { schema: { tags: TAGS, summary: 'Bundle version detail: entrypoint inputs and node index', params: BundleParams, querystring: VersionQuery } },
    async (req) => bundleDetail(req.plane, req.params.bundle_id, req.query.bundle_version),
  );

  app.get(
    '/bundles/:bundle_id/flows/:flow_id',
    { schema: { tags: TAGS, summary: 'Raw VisualFlow JSON of a bundle flow (not namespaced)', params: FlowParams, querystring: VersionQuery } },
    async (req) => bundleFlow(req.plane, { ...req.params, bundle_version: req.query.bundle_version }),
  );

  app.get(
    '/bundles/:bundle_id/flows/:flow_id/input_schema',
    { schema: { tags: TAGS, summary: 'Run input contract derived from the on_flow_start node', params: FlowParams, querystring: VersionQuery } },
    async (req) => bundleFlowInputSchema(req.plane, { ...req.params, bundle_version: req.query.bundle_version }),
  );

  app.get(
    '/workflows/:workflow_id/flow',
    { schema: { tags: TAGS, summary: 'VisualFlow JSON by workflow id (dynamic flows first, then bundles)', params: WorkflowParams } },
    async (req) => {
      if (!req.params.workflow_id.trim()) throw invalid('workflow_id is required');
      return workflowFlow(req.plane, req.params.workflow_id);
    },
  );
}
