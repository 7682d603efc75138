// Hosted mode settings (spec security §2.3, §2.6, §3.5, §4.1, appendix A): whether users sign in
// with their own tokens and get a runtime each, and how browser sessions behave. Names and
// defaults follow the reference; an unparsable value is a startup error.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, parseBool } from './config.js';

type Env = Record<string, string | undefined>;

export interface HostedConfig {
  /** ABSTRACTGATEWAY_USER_AUTH (and aliases, AUTH_MODE, USER_AUTH_AUTO): users + one runtime per user. */
  userAuth: boolean;
  /** ABSTRACTGATEWAY_ADMIN_USES_DEFAULT_RUNTIME: default/admin works on the root data plane. */
  adminUsesDefaultRuntime: boolean;
  /** ABSTRACTGATEWAY_BOOTSTRAP_ADMIN / AUTO_BOOTSTRAP_ADMIN: create default/admin at start when missing. */
  bootstrapAdmin: boolean;
  /** ABSTRACTGATEWAY_BOOTSTRAP_ADMIN_TOKEN: the admin's token instead of AUTH_TOKEN / the token file. */
  bootstrapAdminToken?: string;
  /** A reference users.json imported into the store while the store has no users. */
  usersFile: string;
  sessionTtlS: number;
  rememberSessionTtlS: number;
  /** ABSTRACTGATEWAY_MAX_SESSIONS_PER_USER: the oldest sessions of a user beyond this are dropped. */
  maxSessionsPerUser: number;
  sessionCookie: string;
  csrfCookie: string;
  sessionHeader: string;
  csrfHeader: string;
  /** Failed sign-ins per IP and per user id before a backoff lock (ABSTRACTGATEWAY_LOGIN_LOCKOUT_AFTER). */
  loginLockoutAfter: number;
}

const first = (env: Env, ...names: string[]) => names.map((n) => env[n]?.trim()).find((v) => v);

function clampedInt(env: Env, name: string, dflt: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got '${raw}'`);
  return n;
}

const ON_MODES = new Set(['user', 'users', 'multi-user', 'multi_user', 'hosted']);
const OFF_MODES = new Set(['legacy', 'single', 'single-user', 'single_user', 'local']);

/** Mode selection in the reference's order (spec §2.3). */
function userAuthEnabled(env: Env, usersFile: string): boolean {
  const names = ['ABSTRACTGATEWAY_USER_AUTH', 'ABSTRACTGATEWAY_MULTI_USER', 'ABSTRACTFLOW_GATEWAY_USER_AUTH'];
  const name = names.find((n) => env[n]?.trim());
  if (name) return parseBool(env[name], false, name);
  const mode = env.ABSTRACTGATEWAY_AUTH_MODE?.trim().toLowerCase();
  if (mode && ON_MODES.has(mode)) return true;
  if (mode && OFF_MODES.has(mode)) return false;
  if (mode) throw new ConfigError(`ABSTRACTGATEWAY_AUTH_MODE must be one of users, hosted, local, legacy (got '${mode}')`);
  return parseBool(env.ABSTRACTGATEWAY_USER_AUTH_AUTO, false, 'ABSTRACTGATEWAY_USER_AUTH_AUTO') && existsSync(usersFile);
}

const headerName = (env: Env, name: string, dflt: string) => (env[name]?.trim() || dflt).toLowerCase();

export function loadHostedConfig(env: Env, dataDir: string): HostedConfig {
  const usersFile = resolve(first(env, 'ABSTRACTGATEWAY_USERS_FILE') ?? join(dataDir, 'auth', 'users.json'));
  const bootstrapName = ['ABSTRACTGATEWAY_BOOTSTRAP_ADMIN', 'ABSTRACTGATEWAY_AUTO_BOOTSTRAP_ADMIN'].find((n) => env[n]?.trim());
  return {
    userAuth: userAuthEnabled(env, usersFile),
    adminUsesDefaultRuntime: parseBool(env.ABSTRACTGATEWAY_ADMIN_USES_DEFAULT_RUNTIME, true, 'ABSTRACTGATEWAY_ADMIN_USES_DEFAULT_RUNTIME'),
    bootstrapAdmin: bootstrapName ? parseBool(env[bootstrapName], true, bootstrapName) : true,
    bootstrapAdminToken: first(env, 'ABSTRACTGATEWAY_BOOTSTRAP_ADMIN_TOKEN'),
    usersFile,
    sessionTtlS: clampedInt(env, 'ABSTRACTGATEWAY_SESSION_TTL_S', 28_800, 60, 604_800),
    rememberSessionTtlS: clampedInt(env, 'ABSTRACTGATEWAY_REMEMBER_SESSION_TTL_S', 2_592_000, 60, 7_776_000),
    maxSessionsPerUser: clampedInt(env, 'ABSTRACTGATEWAY_MAX_SESSIONS_PER_USER', 20, 1, 10_000),
    sessionCookie: env.ABSTRACTGATEWAY_SESSION_COOKIE?.trim() || 'abstractgateway_session',
    csrfCookie: env.ABSTRACTGATEWAY_CSRF_COOKIE?.trim() || 'abstractgateway_csrf',
    sessionHeader: headerName(env, 'ABSTRACTGATEWAY_SESSION_HEADER', 'x-abstractgateway-session'),
    csrfHeader: headerName(env, 'ABSTRACTGATEWAY_CSRF_HEADER', 'x-abstractgateway-csrf'),
    loginLockoutAfter: clampedInt(env, 'ABSTRACTGATEWAY_LOGIN_LOCKOUT_AFTER', 5, 1, 1000),
  };
}
