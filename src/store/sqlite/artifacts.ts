// Artifacts: content-addressed blobs on disk (<dataDir>/artifacts/blobs/<sha256>.bin, shared by
// all runtimes) and per-runtime metadata rows in SQLite.

import { randomBytes } from 'node:crypto';
import { access, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { JsonObject } from '../../model/run.js';
import { isoFromMs } from '../../model/time.js';
import { ARTIFACT_COLUMNS, artifactIds, artifactRowValues, toMetadata, type ArtifactRow } from '../artifact-rows.js';
import type { ArtifactMetadata, ArtifactStore } from '../types.js';
import type { Backend } from './store.js';

export class SqliteArtifactStore implements ArtifactStore {
  constructor(
    private readonly runtimeId: string,
    private readonly b: Backend,
  ) {}

  async put(
    content: Uint8Array,
    o: { content_type?: string; run_id?: string | null; tags?: Record<string, string>; metadata?: JsonObject; artifact_id?: string },
  ): Promise<ArtifactMetadata> {
    const runId = o.run_id || null;
    const { artifactId, blobId } = artifactIds(content, runId, o.artifact_id);
    // Blob first: a committed metadata row never points at a missing blob.
    await this.writeBlob(blobId, content);
    const row = await this.b.committer.submit(
      () =>
        this.b.writer
          .stmt(
            `INSERT INTO artifacts (runtime_id, artifact_id, blob_id, content_type, size_bytes, created_at, run_id, tags_json, metadata_json)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (runtime_id, artifact_id) DO UPDATE SET blob_id = excluded.blob_id, content_type = excluded.content_type,
               size_bytes = excluded.size_bytes, run_id = excluded.run_id, tags_json = excluded.tags_json, metadata_json = excluded.metadata_json
             RETURNING ${ARTIFACT_COLUMNS}`,
          )
          .get(...artifactRowValues(this.runtimeId, { artifactId, blobId }, content, o, runId, isoFromMs(this.b.clock.nowMs()))) as ArtifactRow,
    );
    return toMetadata(row);
  }

  async get(artifactId: string): Promise<{ metadata: ArtifactMetadata; content: Buffer } | null> {
    const metadata = await this.getMetadata(artifactId);
    if (!metadata) return null;
    return { metadata, content: await readFile(this.blobPath(metadata.blob_id)) };
  }

  async getMetadata(artifactId: string): Promise<ArtifactMetadata | null> {
    const row = this.b.reader
      .stmt(`SELECT ${ARTIFACT_COLUMNS} FROM artifacts WHERE runtime_id = ? AND artifact_id = ?`)
      .get(this.runtimeId, artifactId) as ArtifactRow | undefined;
    return row ? toMetadata(row) : null;
  }

  async listByRun(runId: string): Promise<ArtifactMetadata[]> {
    const rows = this.b.reader
      .stmt(`SELECT ${ARTIFACT_COLUMNS} FROM artifacts WHERE runtime_id = ? AND run_id = ? ORDER BY rowid`)
      .all(this.runtimeId, runId) as ArtifactRow[];
    return rows.map(toMetadata);
  }

  private blobPath(blobId: string): string {
    return join(this.b.blobsDir, `${blobId}.bin`);
  }

  /** Write once, atomically (temp file + rename); an existing blob already holds these bytes. */
  private async writeBlob(blobId: string, content: Uint8Array): Promise<void> {
    const file = this.blobPath(blobId);
    if (await exists(file)) return;
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, content);
    await rename(tmp, file);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
