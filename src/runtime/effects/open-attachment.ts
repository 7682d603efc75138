// open_attachment, the runtime-owned tool (spec runtime-visualflow §3.5.3 step 4, §7.7): reads
// a file attached to the run's session from the artifact store. Text comes back as an excerpt;
// media (images, audio, PDF, …) is queued in `_runtime.pending_media` for the next LLM call.

import { createHash } from 'node:crypto';
import type { ArtifactMetadata, ArtifactStore } from '../../store/types.js';
import type { RunState } from '../../model/run.js';
import { isPlainObject } from '../../model/json.js';
import type { ToolArgs, ToolOutcome } from '../../tools/index.js';

const DEFAULT_MAX_CHARS = 8000;

const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const fail = (error: string): ToolOutcome => ({ success: false, output: null, error });

/** The artifact id a handle names: an entry of `context.attachments` (by handle, filename or path), else the handle itself. */
function artifactIdFor(run: RunState, args: ToolArgs): string {
  const direct = str(args.artifact_id);
  if (direct) return direct;
  const handle = str(args.handle).replace(/^@/, '');
  const attachments = Array.isArray(run.vars.context?.attachments) ? run.vars.context.attachments : [];
  for (const a of attachments) {
    if (!isPlainObject(a)) continue;
    const id = str(a.artifact_id) || str(a.$artifact);
    if (id && [a.handle, a.filename, a.name, a.path, a.source_path].some((v) => str(v) === handle)) return id;
  }
  return handle;
}

/** Only the run's own artifacts and its session's attachments are readable. */
function belongsToRun(meta: ArtifactMetadata, run: RunState): boolean {
  if (meta.run_id === run.run_id) return true;
  const session = run.session_id ?? run.run_id;
  if (meta.tags.session_id === session) return true;
  const attachments = Array.isArray(run.vars.context?.attachments) ? run.vars.context.attachments : [];
  return attachments.some((a: unknown) => isPlainObject(a) && (str(a.artifact_id) || str(a.$artifact)) === meta.artifact_id);
}

const isText = (contentType: string, content: Buffer): boolean =>
  /^text\/|[/+](json|xml|yaml|csv|javascript)\b/i.test(contentType) || (contentType === 'application/octet-stream' && !content.subarray(0, 8192).includes(0));

function positive(v: unknown, dflt: number): number {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) && n >= 1 ? Math.trunc(n) : dflt;
}

export async function openAttachment(run: RunState, args: ToolArgs, artifacts: ArtifactStore): Promise<ToolOutcome> {
  const id = artifactIdFor(run, args);
  if (!id) return fail('open_attachment needs artifact_id or handle');
  const found = await artifacts.get(id);
  if (!found || !belongsToRun(found.metadata, run)) return fail(`Attachment '${id}' was not found in this session`);
  const { metadata, content } = found;
  const sha256 = createHash('sha256').update(content).digest('hex');
  const expected = str(args.expected_sha256).toLowerCase();
  if (expected && expected !== sha256) return fail(`Attachment '${id}' does not match expected_sha256 (it is ${sha256})`);
  const filename = metadata.tags.filename ?? null;
  const base = { artifact_id: id, filename, content_type: metadata.content_type, size_bytes: metadata.size_bytes, sha256 };
  if (isText(metadata.content_type, content)) {
    const lines = content.toString('utf8').split('\n');
    const start = positive(args.start_line, 1);
    const end = Math.min(positive(args.end_line, lines.length), lines.length);
    const maxChars = positive(args.max_chars, DEFAULT_MAX_CHARS);
    const text = lines.slice(start - 1, end).join('\n');
    return { success: true, output: { ...base, start_line: start, end_line: end, total_lines: lines.length, truncated: text.length > maxChars, excerpt: text.slice(0, maxChars) }, error: null };
  }
  const runtime = isPlainObject(run.vars._runtime) ? run.vars._runtime : (run.vars._runtime = {});
  const pending: unknown[] = Array.isArray(runtime.pending_media) ? runtime.pending_media : (runtime.pending_media = []);
  if (!pending.some((m) => isPlainObject(m) && m.$artifact === id)) pending.push({ $artifact: id, content_type: metadata.content_type, filename });
  return { success: true, output: { ...base, queued_media: true, message: 'The attachment will be given to the model with its next call.' }, error: null };
}
