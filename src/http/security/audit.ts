// Write-request audit log (spec security §1.9): one compact JSON line per POST/PUT/PATCH/DELETE in
// <DATA_DIR>/audit_log.jsonl, rotated by size to audit_log.<ts>.jsonl. Lines are queued and
// appended in batches by one writer, so writes stay ordered and a burst costs one syscall.
// Tokens never appear: only their sha256 fingerprint. Failures are reported, never thrown:
// once when writes start failing (full disk, read-only dir) and once when they recover.

import { appendFile, mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { nowIso } from '../../model/time.js';
import { FaultStreak } from '../../model/fault-streak.js';
import { faultReason } from '../../store/faults.js';
import type { GuardContext } from './guards/guard.js';

export interface AuditEntry {
  ts: string;
  request_id: string;
  ip: string;
  method: string;
  path: string;
  query: string;
  status: number;
  duration_ms: number;
  auth_required: boolean;
  auth_token_fp?: string;
  principal_user_id?: string;
  principal_tenant_id?: string;
  origin?: string;
  user_agent?: string;
  bytes_in?: number;
  headers?: Record<string, string>;
  error?: string;
}

/** Query keys only, values redacted (they can carry secrets); at most 50 keys. */
export function redactQuery(rawQuery: string): string {
  const keys = rawQuery
    .split('&')
    .map((kv) => kv.split('=', 1)[0]!.trim())
    .filter(Boolean)
    .slice(0, 50);
  return keys.map((k) => `${k}=<redacted>`).join('&');
}

/** The entry for a gateway write whose response has closed, whichever step answered it. */
export function auditEntry(req: FastifyRequest, reply: FastifyReply, ctx: GuardContext, headerNames: string[]): AuditEntry {
  const h = req.headers;
  const q = req.url.indexOf('?');
  const entry: AuditEntry = {
    ts: nowIso(),
    request_id: req.id,
    ip: ctx.ip,
    method: req.method,
    path: ctx.path,
    query: q < 0 ? '' : redactQuery(req.url.slice(q + 1)),
    status: reply.raw.headersSent ? reply.raw.statusCode : 0,
    duration_ms: Math.round((performance.now() - ctx.started) * 1000) / 1000,
    auth_required: ctx.authRequired,
  };
  if (ctx.tokenFp) entry.auth_token_fp = ctx.tokenFp;
  if (req.principal) {
    entry.principal_user_id = req.principal.userId;
    entry.principal_tenant_id = req.principal.tenantId;
  }
  if (h.origin) entry.origin = h.origin;
  if (h['user-agent']) entry.user_agent = h['user-agent'];
  if (h['content-length'] && /^\d+$/.test(h['content-length'])) entry.bytes_in = Number(h['content-length']);
  const picked = headerNames.filter((n) => typeof h[n] === 'string');
  if (picked.length > 0) entry.headers = Object.fromEntries(picked.map((n) => [n, h[n] as string]));
  if (ctx.error) entry.error = ctx.error;
  return entry;
}

const ROTATED = /^audit_log\..+\.jsonl$/;

export class AuditLog {
  readonly file: string;
  private pending: string[] = [];
  private writing: Promise<void> | null = null;
  private size = -1;
  private readonly failures: FaultStreak;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly rotations: number,
    report: (message: string) => void,
  ) {
    this.file = join(dir, 'audit_log.jsonl');
    this.failures = new FaultStreak('audit log write', report);
  }

  write(entry: AuditEntry): void {
    this.pending.push(`${JSON.stringify(entry)}\n`);
    this.writing ??= this.drain();
  }

  /** Resolves once everything queued so far is on disk (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const chunk = this.pending.join('');
        this.pending = [];
        try {
          await this.rotateIfFull();
          await appendFile(this.file, chunk, { mode: 0o600 });
          this.size += Buffer.byteLength(chunk);
          this.failures.ok();
        } catch (err) {
          this.size = -1;
          this.failures.fail(faultReason(err));
        }
      }
    } finally {
      this.writing = null;
    }
  }

  private async rotateIfFull(): Promise<void> {
    if (this.size < 0) {
      await mkdir(this.dir, { recursive: true });
      this.size = await stat(this.file).then((s) => s.size, () => 0);
    }
    if (this.maxBytes <= 0 || this.size < this.maxBytes) return;
    const ts = nowIso().replace(/[:-]/g, '');
    await rename(this.file, join(this.dir, `audit_log.${ts}.jsonl`));
    this.size = 0;
    if (this.rotations <= 0) return;
    const rotated = (await readdir(this.dir)).filter((f) => ROTATED.test(f)).sort();
    for (const old of rotated.slice(0, Math.max(0, rotated.length - this.rotations))) await unlink(join(this.dir, old));
  }
}
