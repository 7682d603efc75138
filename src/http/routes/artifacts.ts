// Run artifacts (spec core-api §6.3, core subset): list, metadata and raw content.

import { Type } from '@sinclair/typebox';
import type { GatewayApp } from '../types.js';
import { invalid, notFound } from '../../errors.js';
import { artifactListItem, pageArtifacts } from '../../gateway/artifacts.js';
import type { FastifyRequest } from 'fastify';

const RunParams = Type.Object({ run_id: Type.String() });
const ArtifactParams = Type.Object({ run_id: Type.String(), artifact_id: Type.String() });
const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: -1, maximum: 10_000, default: 500 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});
const ContentQuery = Type.Object({
  access: Type.Optional(Type.String()),
  access_action: Type.Optional(Type.String()),
});
const ARTIFACT_ID = /^[A-Za-z0-9_-]+$/;

async function requireRun(req: FastifyRequest, runId: string) {
  const run = await req.plane.runtime.getRun(runId);
  if (!run) throw notFound(`Run '${runId}' not found`);
  return run;
}

/** The artifact, if it exists and belongs to the run (or to no run). */
async function visibleArtifact(req: FastifyRequest, runId: string, artifactId: string) {
  if (!ARTIFACT_ID.test(artifactId)) throw invalid(`Invalid artifact id: ${artifactId}`);
  await requireRun(req, runId);
  const meta = await req.plane.runtime.store.artifacts.getMetadata(artifactId);
  if (!meta) throw notFound(`Artifact '${artifactId}' not found`);
  if (meta.run_id && meta.run_id !== runId) throw notFound('artifact not found');
  return meta;
}

export async function artifactRoutes(app: GatewayApp): Promise<void> {
  app.get(
    '/runs/:run_id/artifacts',
    { schema: { tags: ['artifacts'], summary: "List a run's artifacts (newest first)", params: RunParams, querystring: ListQuery } },
    async (req) => {
      await requireRun(req, req.params.run_id);
      const all = await req.plane.runtime.store.artifacts.listByRun(req.params.run_id);
      return pageArtifacts(all, req.query.offset, req.query.limit);
    },
  );

  app.get(
    '/runs/:run_id/artifacts/:artifact_id',
    { schema: { tags: ['artifacts'], summary: 'Artifact metadata', params: ArtifactParams } },
    async (req) => {
      const meta = await visibleArtifact(req, req.params.run_id, req.params.artifact_id);
      return { ...meta, descriptor: {}, access: {}, artifact_envelope_v1: artifactListItem(meta) };
    },
  );

  app.get(
    '/runs/:run_id/artifacts/:artifact_id/content',
    { schema: { tags: ['artifacts'], summary: 'Raw artifact bytes', params: ArtifactParams, querystring: ContentQuery } },
    async (req, reply) => {
      await visibleArtifact(req, req.params.run_id, req.params.artifact_id);
      const found = await req.plane.runtime.store.artifacts.get(req.params.artifact_id);
      if (!found) throw notFound(`Artifact '${req.params.artifact_id}' not found`);
      return reply.type(found.metadata.content_type || 'application/octet-stream').send(found.content);
    },
  );
}
