// Large-value offloading for ledger records (spec core-api §4.1): inside `effect` and
// `result`, any value whose JSON exceeds the inline limit is stored as an artifact and
// replaced by {"$artifact": id}, so ledgers stay small and fast to replay.

import type { ArtifactStore } from '../store/types.js';
import type { StepRecord } from '../model/run.js';

export const DEFAULT_INLINE_LIMIT = 262_144;

function jsonBytes(v: unknown): number {
  const s = JSON.stringify(v) ?? '';
  // UTF-16 length × 3 bounds the UTF-8 size: skip the exact count when clearly small.
  return s.length * 3 <= DEFAULT_INLINE_LIMIT ? s.length : Buffer.byteLength(s);
}

export class Offloader {
  constructor(
    private readonly artifacts: ArtifactStore,
    private readonly limit = DEFAULT_INLINE_LIMIT,
  ) {}

  /** Returns the record with oversized values replaced by artifact refs (the input is not mutated). */
  async offload(rec: StepRecord): Promise<StepRecord> {
    if (this.limit <= 0) return rec;
    if (jsonBytes(rec.effect) <= this.limit && jsonBytes(rec.result) <= this.limit) return rec;
    const out = { ...rec };
    if (rec.effect) out.effect = await this.children(rec.effect, rec.run_id, 'ledger.effect', 'ledger_effect_offload');
    if (rec.result && typeof rec.result === 'object') {
      out.result = await this.children(rec.result, rec.run_id, 'ledger.result', 'ledger_result_offload');
    }
    return out;
  }

  /** Offload inside a container but keep the container itself (its shape is a contract). */
  private async children<T extends object>(obj: T, runId: string, path: string, source: string): Promise<T> {
    const copy: any = Array.isArray(obj) ? [...obj] : { ...obj };
    for (const k of Object.keys(copy)) copy[k] = await this.value(copy[k], runId, `${path}.${k}`, source);
    return copy;
  }

  private async value(v: unknown, runId: string, path: string, source: string): Promise<unknown> {
    if (v === null || typeof v !== 'object') {
      if (typeof v !== 'string' || Buffer.byteLength(v) <= this.limit) return v;
      return this.store(Buffer.from(v), 'text/plain', runId, path, source, 'text');
    }
    if (jsonBytes(v) <= this.limit) return v;
    const reduced = await this.children(v, runId, path, source);
    if (jsonBytes(reduced) <= this.limit) return reduced;
    return this.store(Buffer.from(JSON.stringify(reduced)), 'application/json', runId, path, source, 'json');
  }

  private async store(bytes: Buffer, contentType: string, runId: string, path: string, source: string, kind: string) {
    const meta = await this.artifacts.put(bytes, { content_type: contentType, run_id: runId, tags: { source, path, kind } });
    return { $artifact: meta.artifact_id };
  }
}
