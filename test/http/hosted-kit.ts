// Shared pieces of the hosted-mode tests: a gateway with ABSTRACTGATEWAY_USER_AUTH=1 whose
// bootstrap admin (default/admin, root plane) holds TEST_TOKEN, and requests as a given token
// or browser session.

import assert from 'node:assert/strict';
import { startServer, TEST_TOKEN, type TestServer } from '../helpers/http.js';

export const GW = '/api/gateway';
export const ADMIN = TEST_TOKEN;

export function hostedServer(env: Record<string, string | undefined> = {}): Promise<TestServer> {
  // No auth-failure lockout by default: these tests present bad credentials on purpose.
  return startServer({ env: { ABSTRACTGATEWAY_USER_AUTH: '1', ABSTRACTGATEWAY_LOCKOUT_AFTER: '100000', ...env } });
}

export interface Call {
  method?: string;
  token?: string | null;
  json?: unknown;
  headers?: Record<string, string>;
}

/** A request as `token` (null: no Authorization header); returns status, parsed body and headers. */
export async function call(s: TestServer, path: string, c: Call = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const headers = new Headers(c.headers);
  if (c.token) headers.set('authorization', `Bearer ${c.token}`);
  let body: string | undefined;
  if (c.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(c.json);
  }
  const res = await fetch(s.url + path, { method: c.method ?? (c.json !== undefined ? 'POST' : 'GET'), headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON (SSE, bytes) */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function ok(s: TestServer, path: string, c: Call = {}, status = 200): Promise<any> {
  const r = await call(s, path, c);
  assert.equal(r.status, status, `${c.method ?? 'GET'} ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Creates a user as the admin; returns its raw token. */
export async function createUser(s: TestServer, body: Record<string, unknown>): Promise<string> {
  const res = await ok(s, `${GW}/admin/users`, { token: ADMIN, json: body });
  return res.token;
}

export interface BrowserSession {
  cookie: string;
  csrf: string;
  setCookie: string[];
  body: any;
}

/** Signs in; returns the Cookie header a browser would send back and the CSRF token. */
export async function login(s: TestServer, userId: string, token: string, extra: { remember?: boolean; headers?: Record<string, string> } = {}): Promise<BrowserSession> {
  const res = await fetch(`${s.url}${GW}/session/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...extra.headers },
    body: JSON.stringify({ user_id: userId, token, ...(extra.remember !== undefined ? { remember: extra.remember } : {}) }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  const setCookie = res.headers.getSetCookie();
  const pairs = setCookie.map((c) => c.split(';', 1)[0]!);
  const csrf = decodeURIComponent(pairs.find((p) => p.startsWith('abstractgateway_csrf='))!.split('=')[1]!);
  return { cookie: pairs.join('; '), csrf, setCookie, body };
}
