// OpenAPI document (core spec §9, scenario 13) and the offline Swagger UI at /docs and /redoc,
// checked over HTTP and in real headless Chromium with every non-gateway request blocked.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { startServer, TEST_TOKEN, type TestServer } from '../helpers/http.js';

type Doc = {
  info: Record<string, string>;
  components: { securitySchemes: Record<string, unknown> };
  paths: Record<string, Record<string, { security?: unknown[] }>>;
};

describe('OpenAPI and docs', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => s.close());

  it('serves /openapi.json publicly with the bearer scheme on every /api/gateway operation only', async () => {
    const r = await fetch(`${s.url}/openapi.json`);
    assert.equal(r.status, 200);
    const doc = (await r.json()) as Doc;
    assert.equal(doc.info.title, 'AbstractGateway');
    assert.equal(doc.info.version, '0.2.27');
    assert.equal(doc.info.description, 'Durable Run Gateway for AbstractRuntime (commands + ledger replay/stream).');
    assert.deepEqual(doc.components.securitySchemes.gatewayBearerAuth, { type: 'http', scheme: 'bearer' });

    const gatewayOps = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/api/gateway'))
      .flatMap(([p, ops]) => Object.entries(ops).map(([m, op]) => [`${m} ${p}`, op] as const));
    assert.ok(gatewayOps.some(([k]) => k === 'get /api/gateway/ping'));
    for (const [key, op] of gatewayOps) assert.deepEqual(op.security, [{ gatewayBearerAuth: [] }], key);

    assert.equal(doc.paths['/api/health']!.get!.security, undefined);
    for (const hidden of ['/openapi.json', '/docs', '/redoc', '/docs/json', '/docs/static/{*}']) assert.equal(doc.paths[hidden], undefined, hidden);
  });

  for (const page of ['/docs', '/redoc']) {
    it(`serves Swagger UI at ${page} from the gateway itself`, async () => {
      const r = await fetch(`${s.url}${page}`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type')!, /^text\/html/);
      assert.match(r.headers.get('content-security-policy')!, /default-src 'self'/);
      const html = await r.text();
      assert.match(html, /<title>AbstractGateway API Docs<\/title>/);
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(assets.some((a) => a.endsWith('/swagger-ui-bundle.js')));
      for (const a of assets) {
        assert.ok(a.startsWith('/') && !a.startsWith('//'), `same-origin asset: ${a}`);
        const asset = await fetch(`${s.url}${a}`);
        assert.equal(asset.status, 200, a);
        if (a.endsWith('.js')) assert.match(asset.headers.get('content-type')!, /javascript/, a);
        await asset.arrayBuffer();
      }
      const json = (await (await fetch(`${s.url}${page}/json`)).json()) as Doc;
      assert.ok(json.components.securitySchemes.gatewayBearerAuth);
    });
  }

  it('documents query parameters that have defaults as optional', async () => {
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as any;
    const query = doc.paths['/api/gateway/runs/{run_id}/ledger'].get.parameters.filter((p: any) => p.in === 'query');
    assert.deepEqual(query.map((p: any) => [p.name, p.required]), [['after', false], ['limit', false]]);
    const path = doc.paths['/api/gateway/runs/{run_id}/ledger'].get.parameters.find((p: any) => p.in === 'path');
    assert.equal(path.required, true);
  });

  it('renders offline in Chromium and Authorize sends the bearer token', { timeout: 60_000 }, async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      const foreign: string[] = [];
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      // Offline: anything not served by the gateway fails.
      await page.route('**/*', (route) => {
        if (route.request().url().startsWith(s.url)) return route.continue();
        foreign.push(route.request().url());
        return route.abort();
      });
      await page.goto(`${s.url}/docs`);
      await page.locator('.swagger-ui .info .title', { hasText: 'AbstractGateway' }).waitFor();

      await page.locator('.btn.authorize').first().click();
      await page.locator('.auth-container input').first().fill(TEST_TOKEN);
      await page.locator('.auth-btn-wrapper .authorize').first().click();
      await page.locator('.auth-btn-wrapper .btn-done').first().click();

      const op = page.locator('.opblock', { has: page.locator('[data-path="/api/gateway/ping"]') });
      await op.locator('.opblock-summary').click();
      await op.locator('.try-out__btn').click();
      const pinged = page.waitForResponse((res) => res.url() === `${s.url}/api/gateway/ping`);
      await op.locator('.execute').click();
      const res = await pinged;
      assert.equal(res.status(), 200);
      assert.equal(res.request().headers().authorization, `Bearer ${TEST_TOKEN}`);
      assert.deepEqual(foreign, []);
      assert.deepEqual(problems, []);
    } finally {
      await browser?.close();
    }
  });
});
