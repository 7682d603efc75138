// Artifacts: content-addressed blobs on disk (<dataDir>/artifacts/blobs/<sha256>.bin, shared by
// all runtimes) and per-runtime metadata rows in SQLite.

import { createHash, randomBytes } from 'node:crypto';
import { access, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { JsonObject } from '../../model/run.js';
import { isoFromMs } from '../../model/time.js';
import type { ArtifactMetadata, ArtifactStore } from '../types.js';
import type { Backend } from './store.js';

const ARTIFACT_ID = /^[A-Za-z0-9_-]+$/;

interface ArtifactRow {
  artifact_id: string;
  blob_id: string;
  content_type: string;
  size_bytes: number;
  created_at: string;
  run_id: string | null;
  tags_json: string;
  metadata_json: string;
}

const ARTIFACT_COLUMNS = 'artifact_id, blob_id, content_type, size_bytes, created_at, run_id, tags_json, metadata_json';

function toMetadata(r: ArtifactRow): ArtifactMetadata {
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
    const artifactId = o.artifact_id ?? defaultArtifactId(content, runId);
    if (!ARTIFACT_ID.test(artifactId)) throw new Error(`Invalid artifact_id '${artifactId}': must match ${ARTIFACT_ID.source}`);
    const blobId = createHash('sha256').update(content).digest('hex');
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
          .get(
            this.runtimeId,
            artifactId,
            blobId,
            o.content_type ?? 'application/octet-stream',
            content.byteLength,
            isoFromMs(this.b.clock.nowMs()),
            runId,
            JSON.stringify(o.tags ?? {}),
            JSON.stringify(o.metadata ?? {}),
          ) as ArtifactRow,
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
