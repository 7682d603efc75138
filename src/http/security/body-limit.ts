// Body caps for gateway writes (spec security §1.7). Content-Length is checked before anything is
// read; bodies without it (chunked) are counted as they stream into the parser and cut off at the
// cap, so the handler never runs. Multipart parsers read the raw socket instead of the parser
// stream, so upload routes must apply `request.bodyLimitBytes` themselves (busboy `limits`).

import { Transform, type TransformCallback } from 'node:stream';
import type { SecurityConfig } from '../../config/security.js';
import { GatewayError } from '../../errors.js';

const UPLOAD_SLACK = 2 * 1024 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    /** Effective body cap in bytes for this request; 0 = uncapped. */
    bodyLimitBytes: number;
  }
}

/** The cap for a write to `path` (query excluded); 0 disables the check. */
export function bodyLimitFor(c: SecurityConfig, path: string): number {
  const p = path.endsWith('/') ? path.slice(0, -1) : path;
  let upload = 0;
  if (p.endsWith('/attachments/upload')) upload = c.maxAttachmentBytes + UPLOAD_SLACK;
  else if (p.endsWith('/bundles/upload')) upload = c.maxBundleBytes + UPLOAD_SLACK;
  else return c.maxBodyBytes;
  return c.maxUploadBodyBytes > 0 ? Math.min(upload, c.maxUploadBodyBytes) : upload;
}

export const tooLarge = (size: number, limit: number) => new GatewayError('GW_ERR_TOO_LARGE', `Payload Too Large (${size} bytes > ${limit} bytes)`);

/** Passes bytes through until `limit` is exceeded, then fails the stream with the 413. */
export function capStream(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) done(tooLarge(seen, limit));
      else done(null, chunk);
    },
  });
}
