// Artifact references in an `llm_call` result, for the output pins of `llm_call` and the media
// nodes (spec §5.8, §5.13).

import type { JsonObject } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import { nonBlank } from '../engine/effect.js';

function artifactFromItem(item: any): JsonObject | null {
  if (!isPlainObject(item)) return null;
  const ref = item.artifact_ref;
  if (isPlainObject(ref)) {
    const id = nonBlank(ref.$artifact) || nonBlank(ref.artifact_id) || nonBlank(ref.id);
    if (id) return { ...ref, $artifact: id, artifact_id: id };
  }
  const id = nonBlank(item.$artifact) || nonBlank(item.artifact_id);
  if (!id) return null;
  const out: JsonObject = { $artifact: id, artifact_id: id };
  if (nonBlank(item.content_type)) out.content_type = item.content_type.trim();
  if (item.size_bytes != null && typeof item.size_bytes !== 'boolean') out.size_bytes = item.size_bytes;
  return out;
}

/** First generated artifact: `artifact_ref`, then `artifact_id`, then outputs/resources items. */
export function firstArtifact(raw: JsonObject): JsonObject | null {
  const direct = artifactFromItem({ artifact_ref: raw.artifact_ref });
  if (direct) return direct;
  const topId = nonBlank(raw.artifact_id);
  if (topId) return { $artifact: topId, artifact_id: topId };
  for (const bucket of [raw.outputs, raw.resources]) {
    if (!isPlainObject(bucket)) continue;
    for (const items of Object.values(bucket)) {
      for (const item of Array.isArray(items) ? items : []) {
        const ref = artifactFromItem(item);
        if (ref) return ref;
      }
    }
  }
  return null;
}
