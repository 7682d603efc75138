// `serve` self-checks before binding (spec security §1.11): warn about public binds and
// wildcard origins, refuse weak tokens where they would be exposed.

import type { SecurityConfig } from '../config/security.js';

const WEAK_TOKENS = new Set(['dev-token', 'devtoken', 'token', 'changeme', 'password', 'admin', 'god', 'zeus', 'root', 'superuser']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

export const isWeakToken = (t: string): boolean => t.length < 15 || WEAK_TOKENS.has(t.toLowerCase());

function looksPublic(pattern: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return false;
  return pattern.includes('ngrok') || !['localhost', '127.0.0.1', '::1'].some((h) => pattern.includes(h));
}

export class StartupRefused extends Error {}

/** Returns warnings to print; throws StartupRefused when the configuration must not serve. */
export function startupChecks(host: string, security: SecurityConfig, tokens: string[]): string[] {
  const warnings: string[] = [];
  const weak = tokens.some(isWeakToken);
  if (host === '0.0.0.0' || host === '::') {
    warnings.push(`listening on all interfaces (${host}): put TLS in front and keep ABSTRACTGATEWAY_ALLOWED_ORIGINS narrow`);
    if (weak) throw new StartupRefused('Refusing to start: weak auth token on a public bind (use at least 15 random characters)');
  }
  if (security.allowedOrigins.some(looksPublic)) {
    warnings.push(`ABSTRACTGATEWAY_ALLOWED_ORIGINS contains a public wildcard (${security.allowedOrigins.join(',')})`);
    if (weak && !LOOPBACK_HOSTS.has(host)) throw new StartupRefused('Refusing to start: weak auth token with a public origin wildcard');
  }
  if (!security.enabled) warnings.push('ABSTRACTGATEWAY_SECURITY=0: the security layer is OFF (development only)');
  return warnings;
}
