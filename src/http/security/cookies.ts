// Cookie parsing and Set-Cookie values for browser sessions (spec security §4.5, §9): strict
// parsing, the first occurrence of a name wins, values URL-decoded; cookies are host-only.

import type { FastifyRequest } from 'fastify';

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}

/** Secure when the request came over https, directly or as a proxy says (X-Forwarded-Proto). */
export function isHttps(req: FastifyRequest): boolean {
  const xfp = req.headers['x-forwarded-proto'];
  const proto = (Array.isArray(xfp) ? xfp[0] : xfp)?.trim().toLowerCase();
  return proto ? proto === 'https' : req.protocol === 'https';
}

export interface CookieOptions {
  httpOnly: boolean;
  secure: boolean;
  /** Seconds; omitted = a browser-session cookie. */
  maxAge?: number;
}

export function setCookie(name: string, value: string, o: CookieOptions): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    'Path=/',
    'SameSite=Lax',
    ...(o.httpOnly ? ['HttpOnly'] : []),
    ...(o.secure ? ['Secure'] : []),
    ...(o.maxAge !== undefined ? [`Max-Age=${o.maxAge}`] : []),
  ].join('; ');
}
