// Run artifacts as clients list and fetch them (spec core-api §6, core subset): the list-item
// projection and the paged envelope. Artifacts are written by the runtime (ledger offloading,
// media); the rich descriptor/envelope of the reference is reduced to what is known here.

import { invalid, notFound } from '../errors.js';
import type { ArtifactMetadata } from '../store/types.js';
import type { DataPlane } from './plane.js';

const MODALITIES: [RegExp, string][] = [
  [/^image\//, 'image'],
  [/^audio\//, 'audio'],
  [/^video\//, 'video'],
  [/^text\/|json|xml|yaml|markdown/, 'text'],
];

export function modalityOf(contentType: string | null): string {
  const ct = (contentType ?? '').toLowerCase();
  return MODALITIES.find(([re]) => re.test(ct))?.[1] ?? 'file';
}

export function artifactListItem(m: ArtifactMetadata) {
  const tags = m.tags ?? {};
  const filename = tags.filename ?? null;
  const sourcePath = tags.path ?? tags.source_path ?? null;
  const modality = tags.modality ?? modalityOf(m.content_type);
  const ref: Record<string, string> = {
    $artifact: m.artifact_id,
    artifact_id: m.artifact_id,
    content_type: m.content_type || 'application/octet-stream',
    modality,
    ...(m.run_id ? { run_id: m.run_id } : {}),
    ...(filename ? { filename } : {}),
    ...(sourcePath ? { source_path: sourcePath } : {}),
    ...(tags.sha256 ? { sha256: tags.sha256 } : {}),
  };
  return {
    artifact_id: m.artifact_id,
    run_id: m.run_id,
    content_type: m.content_type,
    size_bytes: m.size_bytes,
    created_at: m.created_at,
    tags,
    filename,
    source_path: sourcePath,
    sha256: tags.sha256 ?? null,
    modality,
    ref,
  };
}

export interface ArtifactPage {
  items: ReturnType<typeof artifactListItem>[];
  total: number;
  offset: number;
  limit: number;
  has_more: boolean;
  cursor: null;
  next_cursor: string | null;
  facets: Record<string, never>;
  stats: Record<string, never>;
  warnings: string[];
}

/** Newest first (tie-break on id), then offset/limit; limit ≤ 0 is bounded to 500 as in the reference. */
export function pageArtifacts(all: ArtifactMetadata[], offset: number, limit: number): ArtifactPage {
  const effective = limit <= 0 ? 500 : limit;
  const sorted = [...all].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.artifact_id.localeCompare(a.artifact_id));
  const slice = sorted.slice(offset, offset + effective);
  const hasMore = offset + slice.length < sorted.length;
  const last = slice.at(-1);
  return {
    items: slice.map(artifactListItem),
    total: sorted.length,
    offset,
    limit: effective,
    has_more: hasMore,
    cursor: null,
    next_cursor: hasMore && last ? `${last.created_at}|${last.artifact_id}` : null,
    facets: {},
    stats: {},
    warnings: [],
  };
}

const ARTIFACT_ID = /^[A-Za-z0-9_-]+$/;

async function requireRun(plane: DataPlane, runId: string): Promise<void> {
  if (!(await plane.runtime.getStoredRun(runId))) throw notFound(`Run '${runId}' not found`);
}

/** `GET /runs/{id}/artifacts`: the run's artifacts, newest first, paged. */
export async function listRunArtifacts(plane: DataPlane, runId: string, offset: number, limit: number): Promise<ArtifactPage> {
  await requireRun(plane, runId);
  return pageArtifacts(await plane.runtime.listArtifacts(runId), offset, limit);
}

/** The artifact, if it exists and belongs to the run (or to no run). */
export async function runArtifactMetadata(plane: DataPlane, runId: string, artifactId: string): Promise<ArtifactMetadata> {
  if (!ARTIFACT_ID.test(artifactId)) throw invalid(`Invalid artifact id: ${artifactId}`);
  await requireRun(plane, runId);
  const meta = await plane.runtime.artifactMetadata(artifactId);
  if (!meta) throw notFound(`Artifact '${artifactId}' not found`);
  if (meta.run_id && meta.run_id !== runId) throw notFound('artifact not found');
  return meta;
}

/** Raw bytes of a run's artifact. */
export async function runArtifactContent(plane: DataPlane, runId: string, artifactId: string): Promise<{ metadata: ArtifactMetadata; content: Buffer }> {
  await runArtifactMetadata(plane, runId, artifactId);
  const found = await plane.runtime.artifact(artifactId);
  if (!found) throw notFound(`Artifact '${artifactId}' not found`);
  return found;
}
