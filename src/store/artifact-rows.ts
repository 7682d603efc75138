// Artifact ids and metadata rows as both backends store them (the reference's id scheme).

import { createHash } from 'node:crypto';

import type { JsonObject } from '../model/run.js';
import type { ArtifactMetadata } from './types.js';

const ARTIFACT_ID = /^[A-Za-z0-9_-]+$/;

export interface ArtifactRow {
  artifact_id: string;
  blob_id: string;
  content_type: string;
  size_bytes: number;
  created_at: string;
  run_id: string | null;
  tags_json: string;
  metadata_json: string;
}

export const ARTIFACT_COLUMNS = 'artifact_id, blob_id, content_type, size_bytes, created_at, run_id, tags_json, metadata_json';

export function toMetadata(r: ArtifactRow): ArtifactMetadata {
  return {
    artifact_id: r.artifact_id,
    blob_id: r.blob_id,
    content_type: r.content_type,
    size_bytes: r.size_bytes,
    created_at: r.created_at,
    run_id: r.run_id,
    tags: JSON.parse(r.tags_json) as Record<string, string>,
    metadata: JSON.parse(r.metadata_json) as JsonObject,
  };
}

/** Default id: first 32 hex of sha256((run_id + "\0" if run_id) + bytes), as the reference does. */
function defaultArtifactId(bytes: Uint8Array, runId: string | null): string {
  const h = createHash('sha256');
  if (runId) h.update(`${runId}\0`, 'utf8');
  return h.update(bytes).digest('hex').slice(0, 32);
}

/** The ids of a put: the artifact's (given or derived, validated) and its blob's (sha256 of the bytes). */
export function artifactIds(content: Uint8Array, runId: string | null, given: string | undefined): { artifactId: string; blobId: string } {
  const artifactId = given ?? defaultArtifactId(content, runId);
  if (!ARTIFACT_ID.test(artifactId)) throw new Error(`Invalid artifact_id '${artifactId}': must match ${ARTIFACT_ID.source}`);
  return { artifactId, blobId: createHash('sha256').update(content).digest('hex') };
}

/** The values of one artifact row, in ARTIFACT_COLUMNS order after the runtime id (both backends insert the same row). */
export function artifactRowValues(
  runtimeId: string,
  ids: { artifactId: string; blobId: string },
  content: Uint8Array,
  o: { content_type?: string; tags?: Record<string, string>; metadata?: object },
  runId: string | null,
  createdAt: string,
): unknown[] {
  return [runtimeId, ids.artifactId, ids.blobId, o.content_type ?? 'application/octet-stream', content.byteLength, createdAt, runId, JSON.stringify(o.tags ?? {}), JSON.stringify(o.metadata ?? {})];
}
