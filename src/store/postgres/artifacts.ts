// Artifacts on PostgreSQL: content-addressed blobs (artifact_blobs, deduplicated per runtime)
// and per-runtime metadata rows, both in the database, so every API node and runner reads the
// bytes any of them wrote — no shared disk. Blobs above the configured cap are refused (413):
// bytea travels whole through the connection and sits whole in memory on both ends.

import { GatewayError } from '../../errors.js';
import type { JsonObject } from '../../model/run.js';
import { isoFromMs } from '../../model/time.js';
import { ARTIFACT_COLUMNS, artifactIds, artifactRowValues, toMetadata, type ArtifactRow } from '../artifact-rows.js';
import type { ArtifactMetadata, ArtifactStore } from '../types.js';
import { read, sql, transaction, type PgBackend } from './backend.js';

const COLUMNS = ARTIFACT_COLUMNS.split(', ')
  .map((c) => `a.${c}`)
  .join(', ');

export class PgArtifactStore implements ArtifactStore {
  constructor(
    private readonly runtimeId: string,
    private readonly b: PgBackend,
  ) {}

  async put(
    content: Uint8Array,
    o: { content_type?: string; run_id?: string | null; tags?: Record<string, string>; metadata?: JsonObject; artifact_id?: string },
  ): Promise<ArtifactMetadata> {
    if (content.byteLength > this.b.artifactMaxBytes) {
      throw new GatewayError(
        'GW_ERR_TOO_LARGE',
        `Artifact of ${content.byteLength} bytes exceeds ABSTRACTGATEWAY_DATABASE_ARTIFACT_MAX_BYTES (${this.b.artifactMaxBytes})`,
      );
    }
    const runId = o.run_id || null;
    const { artifactId, blobId } = artifactIds(content, runId, o.artifact_id);
    const row = await transaction(this.b, async ({ c }) => {
      // The bytes travel only when the blob is new.
      const [have] = await sql(c, 'SELECT 1 FROM artifact_blobs WHERE runtime_id = $1 AND blob_id = $2', [this.runtimeId, blobId]);
      if (!have) {
        await sql(
          c,
          'INSERT INTO artifact_blobs (runtime_id, blob_id, size_bytes, content) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
          [this.runtimeId, blobId, content.byteLength, Buffer.from(content.buffer, content.byteOffset, content.byteLength)],
        );
      }
      const [out] = await sql<ArtifactRow>(
        c,
        `INSERT INTO artifacts (runtime_id, artifact_id, blob_id, content_type, size_bytes, created_at, run_id, tags_json, metadata_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (runtime_id, artifact_id) DO UPDATE SET blob_id = excluded.blob_id, content_type = excluded.content_type,
           size_bytes = excluded.size_bytes, run_id = excluded.run_id, tags_json = excluded.tags_json, metadata_json = excluded.metadata_json
         RETURNING ${ARTIFACT_COLUMNS}`,
        artifactRowValues(this.runtimeId, { artifactId, blobId }, content, o, runId, isoFromMs(this.b.clock.nowMs())),
      );
      return out!;
    });
    return toMetadata(row);
  }

  async get(artifactId: string): Promise<{ metadata: ArtifactMetadata; content: Buffer } | null> {
    const [row] = await read(this.b, (c) =>
      sql<ArtifactRow & { content: Buffer }>(
        c,
        `SELECT ${COLUMNS}, b.content FROM artifacts a JOIN artifact_blobs b USING (runtime_id, blob_id)
         WHERE a.runtime_id = $1 AND a.artifact_id = $2`,
        [this.runtimeId, artifactId],
      ),
    );
    return row ? { metadata: toMetadata(row), content: row.content } : null;
  }

  async getMetadata(artifactId: string): Promise<ArtifactMetadata | null> {
    const [row] = await read(this.b, (c) =>
      sql<ArtifactRow>(c, `SELECT ${ARTIFACT_COLUMNS} FROM artifacts WHERE runtime_id = $1 AND artifact_id = $2`, [this.runtimeId, artifactId]),
    );
    return row ? toMetadata(row) : null;
  }

  async listByRun(runId: string): Promise<ArtifactMetadata[]> {
    const rows = await read(this.b, (c) =>
      sql<ArtifactRow>(c, `SELECT ${ARTIFACT_COLUMNS} FROM artifacts WHERE runtime_id = $1 AND run_id = $2 ORDER BY artifact_key`, [this.runtimeId, runId]),
    );
    return rows.map(toMetadata);
  }
}
