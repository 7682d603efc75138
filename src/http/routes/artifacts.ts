// Run artifacts (spec core-api §6.3, core subset): list, metadata and raw content.

import { Type } from '@sinclair/typebox';
import type { GatewayApp } from '../types.js';
import { artifactListItem, listRunArtifacts, runArtifactContent, runArtifactMetadata } from '../../gateway/artifacts.js';

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

export async function artifactRoutes(app: GatewayApp): Promise<void> {
  app.get(
    '/runs/:run_id/artifacts',
    { schema: { tags: ['artifacts'], summary: "List a run's artifacts (newest first)", params: RunParams, querystring: ListQuery } },
    async (req) => listRunArtifacts(req.plane, req.params.run_id, req.query.offset, req.query.limit),
  );

  app.get(
    '/runs/:run_id/artifacts/:artifact_id',
    { schema: { tags: ['artifacts'], summary: 'Artifact metadata', params: ArtifactParams } },
    async (req) => {
      const meta = await runArtifactMetadata(req.plane, req.params.run_id, req.params.artifact_id);
      return { ...meta, descriptor: {}, access: {}, artifact_envelope_v1: artifactListItem(meta) };
    },
  );

  app.get(
    '/runs/:run_id/artifacts/:artifact_id/content',
    { schema: { tags: ['artifacts'], summary: 'Raw artifact bytes', params: ArtifactParams, querystring: ContentQuery } },
    async (req, reply) => {
      const found = await runArtifactContent(req.plane, req.params.run_id, req.params.artifact_id);
      return reply.type(found.metadata.content_type || 'application/octet-stream').send(found.content);
    },
  );
}
