// AbstractObserver's direct (bearer) mode, reproduced by a page of our own in real headless
// Chromium (clients.md §1.1 B, §1.4; security §1.5, §1.12): the page lives on another origin, so
// every call is cross-origin with `Authorization: Bearer` and the JSON POSTs are preflighted.
// It lists bundles, starts a run, renders the ledger live from the SSE stream (fetch +
// ReadableStream), answers the ask_user wait through POST /commands and sees the run complete.
// A page on an origin outside ABSTRACTGATEWAY_ALLOWED_ORIGINS is refused.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { exec, data, wire, flowOf } from '../flow/flowkit.js';
import { startServer, TEST_TOKEN, type TestServer } from '../helpers/http.js';
import { writeBundleDir } from '../helpers/bundles.js';
import { launchChromium, recordRequests, serveHtml, type SeenRequest, type StaticPage } from '../helpers/browser.js';
import { DIRECT_PAGE } from './direct-page.js';

const askFlow = flowOf(
  [
    exec('start', 'on_flow_start', { entry: true, outputs: [] }),
    exec('ask', 'ask_user', { inputs: ['prompt'], outputs: ['response'], pinDefaults: { prompt: 'What is your name?' } }),
    exec('reply', 'answer_user', { inputs: ['message'] }),
    exec('end', 'on_flow_end', { inputs: ['response'], execOuts: [] }),
  ],
  [wire('start', 'ask'), wire('ask', 'reply'), wire('reply', 'end'), data('ask', 'response', 'reply', 'message'), data('ask', 'response', 'end', 'response')],
  { id: 'greet' },
);

const WAIT_MS = 15_000;

/** Console errors and failed requests a page produced (a CORS failure shows up in both). */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return problems;
}

const stateIs = (page: Page, ...states: string[]) =>
  page.waitForFunction(`${JSON.stringify(states)}.includes(document.getElementById('state').textContent)`, undefined, { timeout: WAIT_MS });

const text = async (page: Page, sel: string) => (await page.locator(sel).textContent()) ?? '';

describe('browser: direct bearer client on another origin (Observer direct mode)', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(() => browser?.close());

  describe('allowed origin (default allowlist http://127.0.0.1:*)', () => {
    let gw: TestServer;
    let page: StaticPage;
    let seen: SeenRequest[];
    before(async () => {
      gw = await startServer();
      seen = recordRequests(gw.app.server);
      await writeBundleDir(gw.flowsDir, 'demo', [askFlow]);
      await gw.plane.catalog.reloadBundles();
      page = await serveHtml(DIRECT_PAGE);
    });
    after(async () => {
      await page?.close();
      await gw?.close();
    });

    it('lists bundles, launches, renders the ledger live, answers the wait and completes', async () => {
      assert.notEqual(new URL(page.origin).port, new URL(gw.url).port, 'page and gateway are different origins');
      const ctx = await browser.newContext();
      const tab = await ctx.newPage();
      const problems = watch(tab);
      try {
        const q = new URLSearchParams({ gateway: gw.url, token: TEST_TOKEN, workflow: 'demo:greet' });
        await tab.goto(`${page.origin}/?${q}`);

        // The bundle list rendered, the run started and the stream delivered records up to the wait
        // while the run is still waiting: these arrived live, not from a replay of a finished run.
        await stateIs(tab, 'waiting', 'error');
        assert.equal(await text(tab, '#error'), '');
        assert.deepEqual(await tab.locator('#bundles li').allTextContents(), ['demo:greet']);
        const runId = await text(tab, '#run');
        assert.equal((await gw.plane.runtime.getRun(runId))?.status, 'waiting');
        const before = await tab.locator('li.rec').allTextContents();
        assert.match(before.at(-1)!, /ask waiting/);
        assert.equal(await text(tab, '#prompt'), 'What is your name?');

        // Answer in the page: POST /commands (preflighted), then the remaining records arrive on the
        // same open stream and the stream ends with the run.
        await tab.fill('#response', 'Ada');
        await tab.click('#ask button[type=submit]');
        await stateIs(tab, 'done', 'error');
        assert.equal(await text(tab, '#error'), '');
        assert.equal(await text(tab, '#status'), 'completed');
        assert.equal(await text(tab, '#streams'), '1', 'one stream carried the whole run');

        const records = await tab.locator('li.rec').allTextContents();
        assert.ok(records.length > before.length, 'records arrived after the answer');
        assert.deepEqual(
          await tab.locator('li.rec').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-cursor')))),
          records.map((_, i) => i + 1),
          'cursors are 1..n with no gap or duplicate',
        );
        assert.ok(records.some((r) => /reply completed answer_user "Ada"/.test(r)), records.join('\n'));
        const ledger = (await gw.plane.runtime.readLedger(runId, 0, 1000)).items;
        assert.equal(records.length, ledger.length, 'every ledger record was rendered');

        // Preflights: answered without credentials, allowing authorization (+ content-type on POST).
        const preflights = seen.filter((r) => r.method === 'OPTIONS');
        const startPre = preflights.find((r) => r.path === '/api/gateway/runs/start');
        assert.ok(startPre, `no preflight for POST /runs/start: ${JSON.stringify(seen)}`);
        assert.match(startPre.requestHeaders ?? '', /authorization/);
        assert.match(startPre.requestHeaders ?? '', /content-type/);
        assert.ok(preflights.find((r) => r.path === '/api/gateway/commands'), 'POST /commands was preflighted');
        for (const p of preflights) assert.ok(p.status >= 200 && p.status < 300, `preflight ${p.path} -> ${p.status}`);
        for (const r of seen.filter((x) => x.method !== 'OPTIONS')) {
          assert.equal(r.origin, page.origin);
          assert.ok(r.status >= 200 && r.status < 300, `${r.method} ${r.path} -> ${r.status}`);
        }
        assert.deepEqual(problems, [], 'no CORS or network errors in the page');
      } finally {
        await ctx.close();
      }
    });
  });

  describe('disallowed origin (ABSTRACTGATEWAY_ALLOWED_ORIGINS restricted to one page origin)', () => {
    let gw: TestServer;
    let allowed: StaticPage;
    let other: StaticPage;
    let seen: SeenRequest[];
    before(async () => {
      allowed = await serveHtml(DIRECT_PAGE);
      other = await serveHtml(DIRECT_PAGE);
      gw = await startServer({ env: { ABSTRACTGATEWAY_ALLOWED_ORIGINS: allowed.origin } });
      seen = recordRequests(gw.app.server);
      await writeBundleDir(gw.flowsDir, 'demo', [askFlow]);
      await gw.plane.catalog.reloadBundles();
    });
    after(async () => {
      await other?.close();
      await allowed?.close();
      await gw?.close();
    });

    const open = async (origin: string) => {
      const ctx = await browser.newContext();
      const tab = await ctx.newPage();
      const q = new URLSearchParams({ gateway: gw.url, token: TEST_TOKEN, workflow: 'demo:greet', mode: 'list' });
      await tab.goto(`${origin}/?${q}`);
      await stateIs(tab, 'connected', 'error');
      return { ctx, tab };
    };

    it('serves the allowlisted origin', async () => {
      const { ctx, tab } = await open(allowed.origin);
      try {
        assert.equal(await text(tab, '#error'), '');
        assert.deepEqual(await tab.locator('#bundles li').allTextContents(), ['demo:greet']);
      } finally {
        await ctx.close();
      }
    });

    it('refuses a page on another origin, even with a valid bearer token', async () => {
      const { ctx, tab } = await open(other.origin);
      try {
        assert.equal(await text(tab, '#state'), 'error');
        assert.equal(await tab.locator('#bundles li').count(), 0);
        // Either the gateway's 403 is readable (CORS headers on rejections, security §1.12) or the
        // browser blocks the response (CORS restricted to allowlisted origins, security §8 W8).
        assert.match(await text(tab, '#error'), /403 Forbidden \(origin not allowed\)|Failed to fetch/);
        const fromOther = seen.filter((r) => r.origin === other.origin);
        assert.ok(fromOther.length > 0, 'the browser reached the gateway');
        for (const r of fromOther) assert.equal(r.status, 403, `${r.method} ${r.path} -> ${r.status}`);
      } finally {
        await ctx.close();
      }
    });
  });
});
