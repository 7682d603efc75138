// Browser sessions (spec security §4.4–4.8): POST /session/login (public, origin-checked,
// throttled per IP and per user id) sets the HttpOnly session cookie and the readable CSRF
// cookie; the body carries neither value. POST /session/logout ends the session (a write: a
// session caller needs the CSRF header) and clears both cookies. Hosted mode only (§8 W4).

import { Type } from '@sinclair/typebox';
import { GatewayError, notFound } from '../../errors.js';
import type { HostedServices, Planes } from '../../gateway/plane.js';
import { publicPrincipal } from '../../model/principal.js';
import { isoFromMs } from '../../model/time.js';
import { clientIp } from '../security/client.js';
import { cookieValue, isHttps, setCookie } from '../security/cookies.js';
import { lockedOut } from '../security/guards/lockout.js';
import { Lockout } from '../security/lockout.js';
import type { GatewayApp } from '../types.js';
import { modeBlocks } from './me.js';

const LoginBody = Type.Object(
  {
    user_id: Type.String({ minLength: 1, maxLength: 256 }),
    token: Type.String({ minLength: 1, maxLength: 1024 }),
    remember: Type.Optional(Type.Boolean({ default: false })),
    tenant_id: Type.Optional(Type.String({ maxLength: 256, description: 'Optional: tell apart equal user ids of different tenants.' })),
  },
  { additionalProperties: false },
);

function hostedOnly(gateway: Planes): HostedServices {
  if (!gateway.hosted) throw notFound('Browser sessions need hosted mode (ABSTRACTGATEWAY_USER_AUTH=1)');
  return gateway.hosted;
}

export async function sessionRoutes(app: GatewayApp, opts: { gateway: Planes; trustProxy: boolean }): Promise<void> {
  const { gateway } = opts;
  const after = gateway.hosted?.config.loginLockoutAfter ?? 5;
  // Failed sign-ins back off per client IP and per user id (1 s doubling to 60 s): the login
  // route is public, so the auth lockout never sees its failures (spec §8 W4).
  const throttle = new Lockout(after, 1, 60);

  app.post('/session/login', { schema: { tags: ['auth'], summary: 'Sign in with user id + token → session cookies (hosted mode)', body: LoginBody } }, async (req, reply) => {
    const h = hostedOnly(gateway);
    const keys = [`ip:${clientIp(req, opts.trustProxy)}`, `user:${req.body.user_id.trim()}`];
    const locked = Math.max(...keys.map((k) => throttle.lockedFor(k)));
    if (locked >= 1) throw lockedOut(locked);
    const remember = req.body.remember ?? false;
    let session;
    try {
      session = await h.sessions.login(req.body.user_id, req.body.token, remember, req.body.tenant_id?.trim() || undefined);
    } catch (err) {
      if (err instanceof GatewayError && err.status === 401) {
        const lock = Math.max(...keys.map((k) => throttle.recordFailure(k)));
        if (lock >= 1) throw lockedOut(lock);
      }
      throw err;
    }
    for (const k of keys) throttle.recordSuccess(k);
    const secure = isHttps(req);
    const maxAge = remember ? h.config.rememberSessionTtlS : undefined;
    reply.header('set-cookie', [
      setCookie(h.config.sessionCookie, session.value, { httpOnly: true, secure, maxAge }),
      setCookie(h.config.csrfCookie, session.csrf, { httpOnly: false, secure, maxAge }),
    ]);
    reply.header('cache-control', 'no-store');
    const blocks = modeBlocks(true);
    return {
      ok: true,
      principal: publicPrincipal(session.principal),
      auth: { ...blocks.auth, session: 'gateway-browser-session' },
      routing: blocks.routing,
      session: { expires_at: isoFromMs(session.expiresAtMs) },
    };
  });

  app.post('/session/logout', { schema: { tags: ['auth'], summary: 'End the browser session and clear its cookies' } }, async (req, reply) => {
    const h = hostedOnly(gateway);
    const header = req.headers[h.config.sessionHeader];
    const value = (Array.isArray(header) ? header[0] : header) || cookieValue(req.headers.cookie, h.config.sessionCookie);
    const deleted = await h.sessions.logout(value);
    const secure = isHttps(req);
    reply.header('set-cookie', [
      setCookie(h.config.sessionCookie, '', { httpOnly: true, secure, maxAge: 0 }),
      setCookie(h.config.csrfCookie, '', { httpOnly: false, secure, maxAge: 0 }),
    ]);
    return { ok: true, deleted };
  });
}
