// Shared-token authentication (spec security §1.4). Both sides are hashed with sha256 so
// timingSafeEqual always compares 32 bytes: no length leak, no throw on odd input, and every
// configured token is compared (no early exit).

import { createHash, timingSafeEqual } from 'node:crypto';

export { tokenFingerprint } from '../../model/credentials.js';

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export class TokenVerifier {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.map(sha256);
  }

  get configured(): boolean {
    return this.digests.length > 0;
  }

  verify(presented: string): boolean {
    const d = sha256(presented);
    let ok = false;
    for (const known of this.digests) ok = timingSafeEqual(d, known) || ok;
    return ok;
  }
}

/** `Authorization: Bearer <token>` (scheme case-insensitive) → trimmed token, else "". */
export function bearerToken(header: string | undefined): string {
  if (!header || !/^bearer /i.test(header)) return '';
  return header.slice(header.indexOf(' ') + 1).trim();
}
