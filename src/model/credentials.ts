// Token and id material for the users registry and browser sessions (spec security §0.4, §3.2).
//
// User tokens are 256 random bits ("agw_" + base64url(32 bytes)), so the registry stores
// sha256(token) and finds the user through a unique index on it: one hash and one index probe per
// request. A slow salted hash (the reference's PBKDF2-260k) protects low-entropy passwords from
// offline guessing; a 256-bit random token cannot be guessed offline at any hash speed, and the
// salt would make the O(1) index impossible (spec §8 W3). Admin-chosen tokens must be long enough
// (MIN_CHOSEN_TOKEN_CHARS) to keep that argument true. Reference PBKDF2 hashes imported from
// users.json are still verified, once, at the user's next sign-in, and then replaced.

import { createHash, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

export const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** Audit/principal fingerprint: first 12 hex of sha256(token). Never log the token itself. */
export const tokenFingerprint = (token: string): string => sha256Hex(token).slice(0, 12);

export const newUserToken = (): string => `agw_${randomBytes(32).toString('base64url')}`;
export const newSessionId = (): string => randomBytes(32).toString('base64url');
export const newCsrfToken = (): string => `agcsrf_${randomBytes(32).toString('base64url')}`;

export const MIN_CHOSEN_TOKEN_CHARS = 32;

const SHA256_SCHEME = 'sha256$';

/** The stored, indexed form of a user token. */
export const userTokenHash = (token: string): string => SHA256_SCHEME + sha256Hex(token);

/** registry_credential_fingerprint: changes whenever the token does (sessions compare it). */
export const credentialFingerprint = (tokenHash: string): string => sha256Hex(tokenHash).slice(0, 12);

export const isLegacyHash = (tokenHash: string): boolean => tokenHash.startsWith('pbkdf2_sha256$');

/** Verifies a reference `pbkdf2_sha256$<iter>$<salt hex>$<digest hex>` hash off the event loop; any parse error is "no match". */
export function verifyLegacyHash(token: string, tokenHash: string): Promise<boolean> {
  const [scheme, iter, salt, digest] = tokenHash.split('$');
  const iterations = Number(iter);
  if (scheme !== 'pbkdf2_sha256' || !Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000 || !/^[0-9a-f]+$/i.test(salt ?? '') || !/^[0-9a-f]{64}$/i.test(digest ?? '')) {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    pbkdf2(token, Buffer.from(salt!, 'hex'), iterations, 32, 'sha256', (err, key) => resolve(!err && timingSafeEqual(key, Buffer.from(digest!, 'hex'))));
  });
}

/** Constant-time equality of two hex digests of the same algorithm. */
export function sameDigest(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, 'hex');
  const b = Buffer.from(bHex, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}
