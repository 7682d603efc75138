// Security policy from the environment (spec security §1.2, §1.9) and the bootstrap token.
// Names, defaults and clamps follow the reference; each ABSTRACTGATEWAY_X also accepts the legacy
// alias ABSTRACTFLOW_GATEWAY_X. Unlike the reference, an unparsable value is a startup error
// (ConfigError) instead of silently falling back to the default.

import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, parseBool } from './config.js';
import { DEFAULT_MAX_JSON_DEPTH } from '../model/limits.js';

export interface SecurityConfig {
  /** ABSTRACTGATEWAY_SECURITY=0 turns the whole /api/gateway pipeline off (dev switch). */
  enabled: boolean;
  /** Shared bearer tokens; each one is a full `local-admin` credential. */
  tokens: string[];
  protectRead: boolean;
  protectWrite: boolean;
  devReadNoAuthLoopback: boolean;
  allowedOrigins: string[];
  maxBodyBytes: number;
  maxUploadBodyBytes: number;
  maxAttachmentBytes: number;
  maxBundleBytes: number;
  maxConcurrency: number;
  maxSse: number;
  lockoutAfter: number;
  lockoutBaseS: number;
  lockoutMaxS: number;
  trustProxy: boolean;
  /** Token-bucket refill per client IP (requests/s); 0 disables rate limiting. */
  rateLimitRps: number;
  rateLimitBurst: number;
  /** Loopback clients (local tools, a reverse proxy on this host, benchmarks) skip the rate limit. */
  rateLimitExemptLoopback: boolean;
  audit: { enabled: boolean; maxBytes: number; rotations: number; headers: string[] };
  /** Where a generated token is kept (ABSTRACTGATEWAY_BOOTSTRAP_ADMIN_TOKEN_FILE, else <data>/auth/...). */
  bootstrapTokenFile?: string;
  // -- input bounds (issue 7) --
  /** ABSTRACTGATEWAY_MAX_JSON_DEPTH: deepest nesting of a JSON body (422 beyond). */
  maxJsonDepth: number;
}

type Env = Record<string, string | undefined>;

const DEFAULT_ALLOWED_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*'];
const MiB = 1024 * 1024;

/** Primary name when non-blank, otherwise the legacy ABSTRACTFLOW_GATEWAY_* alias. */
function read(env: Env, suffix: string, legacy = true): string | undefined {
  for (const name of legacy ? [`ABSTRACTGATEWAY_${suffix}`, `ABSTRACTFLOW_GATEWAY_${suffix}`] : [`ABSTRACTGATEWAY_${suffix}`]) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') return v;
  }
  return undefined;
}

function bool(env: Env, suffix: string, dflt: boolean, legacy = true): boolean {
  return parseBool(read(env, suffix, legacy), dflt, `ABSTRACTGATEWAY_${suffix}`);
}

function num(env: Env, suffix: string, dflt: number, opts: { integer?: boolean; legacy?: boolean } = {}): number {
  const raw = read(env, suffix, opts.legacy ?? true)?.trim();
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n))) {
    throw new ConfigError(`ABSTRACTGATEWAY_${suffix} must be ${opts.integer ? 'an integer' : 'a number'}, got '${raw}'`);
  }
  return n;
}

/** A positive integer setting; anything else is a startup error. */
function positive(env: Env, suffix: string, dflt: number): number {
  const n = num(env, suffix, dflt, { integer: true, legacy: false });
  if (n < 1) throw new ConfigError(`ABSTRACTGATEWAY_${suffix} must be a positive integer, got '${n}'`);
  return n;
}

const csv = (raw: string | undefined): string[] =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function loadSecurityConfig(env: Env = process.env): SecurityConfig {
  const enabled = bool(env, 'SECURITY', true);
  const tokens = [...new Set([...csv(read(env, 'AUTH_TOKEN')), ...csv(read(env, 'AUTH_TOKENS'))])];
  const origins = read(env, 'ALLOWED_ORIGINS');
  const attachment = num(env, 'MAX_ATTACHMENT_BYTES', 25 * MiB, { integer: true });
  const bundle = num(env, 'MAX_BUNDLE_BYTES', 75 * MiB, { integer: true });
  const rps = Math.max(0, num(env, 'RATE_LIMIT_RPS', 200, { legacy: false }));
  const bootstrapFile = read(env, 'BOOTSTRAP_ADMIN_TOKEN_FILE', false)?.trim();
  return {
    enabled,
    tokens,
    protectRead: bool(env, 'PROTECT_READ', true),
    protectWrite: bool(env, 'PROTECT_WRITE', true),
    devReadNoAuthLoopback: bool(env, 'DEV_READ_NO_AUTH', false),
    allowedOrigins: origins === undefined ? [...DEFAULT_ALLOWED_ORIGINS] : csv(origins),
    maxBodyBytes: Math.max(0, num(env, 'MAX_BODY_BYTES', 256_000, { integer: true })),
    maxUploadBodyBytes: Math.max(0, num(env, 'MAX_UPLOAD_BODY_BYTES', 0, { integer: true })),
    maxAttachmentBytes: attachment > 0 ? attachment : 25 * MiB,
    maxBundleBytes: bundle > 0 ? bundle : 75 * MiB,
    maxConcurrency: Math.max(1, num(env, 'MAX_CONCURRENCY', 64, { integer: true })),
    // The reference caps SSE at 32; streams here are push-driven and cheap, so the default
    // admits the 10,000-stream target with headroom.
    maxSse: Math.max(1, num(env, 'MAX_SSE', 20_000, { integer: true })),
    lockoutAfter: Math.max(1, num(env, 'LOCKOUT_AFTER', 5, { integer: true })),
    lockoutBaseS: Math.max(0, num(env, 'LOCKOUT_BASE_S', 1.0)),
    lockoutMaxS: Math.max(0, num(env, 'LOCKOUT_MAX_S', 60.0)),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    rateLimitRps: rps,
    rateLimitBurst: Math.max(1, num(env, 'RATE_LIMIT_BURST', Math.max(1, rps * 2), { legacy: false })),
    rateLimitExemptLoopback: bool(env, 'RATE_LIMIT_EXEMPT_LOOPBACK', true, false),
    audit: {
      enabled: bool(env, 'AUDIT_LOG', enabled, false),
      maxBytes: Math.max(0, num(env, 'AUDIT_LOG_MAX_BYTES', 50 * MiB, { integer: true, legacy: false })),
      rotations: Math.min(200, Math.max(0, num(env, 'AUDIT_LOG_ROTATIONS', 10, { integer: true, legacy: false }))),
      headers: csv(read(env, 'AUDIT_LOG_HEADERS', false) ?? 'x-client-id,x-client-version,x-forwarded-for').map((h) => h.toLowerCase()),
    },
    bootstrapTokenFile: bootstrapFile ? resolve(bootstrapFile) : undefined,
    // -- input bounds (issue 7) --
    maxJsonDepth: positive(env, 'MAX_JSON_DEPTH', DEFAULT_MAX_JSON_DEPTH),
  };
}

export interface EnsuredTokens {
  tokens: string[];
  /** Set when this call created a new token file (print it so the operator can find the token). */
  generatedPath?: string;
}

export const bootstrapTokenPath = (config: SecurityConfig, dataDir: string): string =>
  config.bootstrapTokenFile ?? join(dataDir, 'auth', 'bootstrap-admin-token');

/**
 * The gateway never serves unauthenticated: without configured tokens, reuse the bootstrap token
 * file when it is private (0600, non-empty), otherwise write a fresh 256-bit token there
 * (file 0600 created exclusively, directory 0700, atomic rename). A file readable by others is
 * treated as leaked and replaced.
 */
export async function ensureAuthTokens(config: SecurityConfig, dataDir: string): Promise<EnsuredTokens> {
  if (config.tokens.length > 0 || !config.enabled) return { tokens: config.tokens };
  const path = bootstrapTokenPath(config, dataDir);
  const existing = await readPrivateToken(path);
  if (existing) return { tokens: [existing] };

  const token = randomBytes(32).toString('base64url');
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await chmod(dirname(path), 0o700);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
  try {
    await fh.writeFile(`${token}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return { tokens: [token], generatedPath: path };
}

async function readPrivateToken(path: string): Promise<string | null> {
  try {
    const st = await stat(path);
    if (!st.isFile() || (st.mode & 0o077) !== 0) return null;
    const token = (await readFile(path, 'utf8')).trim();
    return token.length >= 32 ? token : null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
