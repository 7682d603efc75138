// Shared pieces of the Observer acceptance (scripts/observer-acceptance.mjs): the gateway from
// dist/ with a request recorder, Observer served by its own bin/cli.js, Chromium, named steps with
// screenshots, the common Settings → Connect and Launch steps, and the request summary.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const STEP_MS = 20_000; // Observer polls every 2 s and its SSE reconnect backoff reaches 5 s (clients.md §4)
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const t0 = Date.now();
export const log = (msg) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
export const fail = (msg) => {
  throw new Error(msg);
};
const firstLine = (e) => String(e?.message ?? e).split('\n')[0];

// ---------------------------------------------------------------------------------------------
// MUST calls (clients.md §1.6, Settings/Launch/Observe in direct mode), as method + path pattern.
const MUST = [
  ['GET', /^\/api\/gateway\/bundles$/, 'GET /bundles'],
  ['GET', /^\/api\/gateway\/bundles\/[^/]+$/, 'GET /bundles/{id}'],
  ['POST', /^\/api\/gateway\/runs\/start$/, 'POST /runs/start'],
  ['POST', /^\/api\/gateway\/runs\/schedule$/, 'POST /runs/schedule'],
  ['GET', /^\/api\/gateway\/runs$/, 'GET /runs'],
  ['GET', /^\/api\/gateway\/runs\/[^/]+$/, 'GET /runs/{id}'],
  ['GET', /^\/api\/gateway\/runs\/[^/]+\/input_data$/, 'GET /runs/{id}/input_data'],
  ['GET', /^\/api\/gateway\/runs\/[^/]+\/ledger$/, 'GET /runs/{id}/ledger'],
  ['GET', /^\/api\/gateway\/runs\/[^/]+\/ledger\/stream$/, 'GET /runs/{id}/ledger/stream'],
  ['POST', /^\/api\/gateway\/commands$/, 'POST /commands'],
];
const mustName = (method, path) => MUST.find(([m, re]) => (m === method || method === 'OPTIONS') && re.test(path))?.[2];

/** Path with ids folded, for the summary. */
const shape = (path) =>
  path
    .replace(/\/runs\/(?!(?:start|schedule)$|ledger\/batch$)[^/]+/, '/runs/{id}')
    .replace(/\/bundles\/(?!reload$|upload$)[^/]+/, '/bundles/{id}')
    .replace(/\/flows\/[^/]+/, '/flows/{fid}')
    .replace(/\/providers\/(?!$)[^/]+\/models/, '/providers/{p}/models');

// ---------------------------------------------------------------------------------------------
/** The gateway from dist/, in this process, with a request recorder on its HTTP server. */
export async function startGateway({ flowsDir, dataDir, token, port, env: extraEnv = {} }) {
  const dist = join(REPO, 'dist', 'src');
  if (!existsSync(join(dist, 'http', 'app.js'))) fail(`no build in ${dist}: run \`npm run build\` first`);
  const { loadConfig } = await import(join(dist, 'config', 'config.js'));
  const { Gateway } = await import(join(dist, 'app', 'gateway.js'));
  const { buildApp } = await import(join(dist, 'http', 'app.js'));
  const env = { ...process.env, ...extraEnv, ABSTRACTGATEWAY_DATA_DIR: dataDir, ABSTRACTGATEWAY_FLOWS_DIR: flowsDir, ABSTRACTGATEWAY_AUTH_TOKEN: token };
  delete env.ABSTRACTGATEWAY_AUTH_TOKENS;
  const gateway = (await Gateway.open(loadConfig(env))).start();
  for (const e of gateway.root.catalog.bundles.errors) log(`gateway: skipped bundle ${e.source}: ${e.error}`);
  const app = await buildApp({ gateway, env });
  const requests = [];
  app.server.prependListener('request', (req, res) => {
    const auth = req.headers.authorization ? 'bearer' : req.headers['x-abstractgateway-session'] ? 'session' : 'none';
    const entry = { t: Date.now() - t0, method: req.method, url: req.url, path: (req.url ?? '').split('?')[0], origin: req.headers.origin ?? null, auth, status: 0 };
    if (req.headers['access-control-request-headers']) entry.preflight_headers = req.headers['access-control-request-headers'];
    requests.push(entry);
    const done = () => (entry.status ||= res.statusCode);
    res.on('finish', done);
    res.on('close', done);
    const writeHead = res.writeHead;
    res.writeHead = function (...args) {
      const r = writeHead.apply(this, args);
      entry.status = res.statusCode;
      return r;
    };
  });
  await app.listen({ host: '127.0.0.1', port });
  const url = `http://127.0.0.1:${app.server.address().port}`;
  return { url, gateway, requests, close: async () => (await app.close(), await gateway.close()) };
}

export async function startObserver({ dir, port, gatewayUrl }) {
  if (!existsSync(join(dir, 'bin', 'cli.js'))) fail(`no Observer checkout at '${dir}' (pass its path as the first argument or OBSERVER_DIR)`);
  if (!existsSync(join(dir, 'dist', 'index.html'))) fail(`Observer is not built: cd ${dir} && npm ci && npm run build`);
  const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1' };
  if (gatewayUrl) env.ABSTRACTOBSERVER_GATEWAY_URL = gatewayUrl;
  else delete env.ABSTRACTOBSERVER_GATEWAY_URL;
  const child = spawn(process.execPath, ['bin/cli.js'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) fail(`Observer exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(url + '/')).ok) return { url, child, output: () => output };
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  fail(`Observer did not answer on ${url}:\n${output}`);
}

/** Headless Debian Chromium (never a downloaded browser) with one page whose errors are kept. */
export async function openBrowser(executablePath) {
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return { browser, page, errors };
}

/** Named steps (logged, timed, a screenshot on failure) and numbered screenshots into outDir. */
export function stepper(page, outDir) {
  const steps = [];
  const shots = [];
  const shot = async (name) => {
    const path = join(outDir, `${String(shots.length + 1).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path, fullPage: false }).catch(() => {});
    shots.push(path);
  };
  const step = async (name, fn) => {
    const s = Date.now();
    try {
      const value = await fn();
      steps.push({ step: name, ok: true, ms: Date.now() - s });
      log(`ok   ${name}`);
      return value;
    } catch (e) {
      steps.push({ step: name, ok: false, ms: Date.now() - s, error: firstLine(e) });
      log(`FAIL ${name}: ${firstLine(e)}`);
      await shot('failure');
      throw e;
    }
  };
  return { step, shot, steps, shots };
}

// ---------------------------------------------------------------------------------------------
/** Load Observer, then Settings in direct mode (URL + token, user empty) → Connect → LED ok. */
export async function connect({ page, step, shot }, { observerUrl, gatewayUrl, token }) {
  await step('load Observer', async () => {
    await page.goto(`${observerUrl}/`, { waitUntil: 'domcontentloaded' });
    await page.locator('.app_nav').waitFor({ timeout: STEP_MS });
  });
  await step('Settings: direct mode (URL + token, user empty) → Connect → LED ok', async () => {
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByPlaceholder('https://your-gateway-host').fill(gatewayUrl);
    await page.getByPlaceholder('user id for hosted sign-in').fill('');
    await page.getByPlaceholder('optional direct dev token').fill(token);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.locator('span.gateway_led.ok').waitFor({ timeout: STEP_MS });
    await page.getByRole('button', { name: 'Disconnect', exact: true }).first().waitFor({ timeout: STEP_MS });
    await shot('settings-connected');
  });
}

/** Launch page: pick `workflow`, fill text inputs by their label, Launch now; returns the run id. */
export async function launch({ page, step, shot }, workflow, inputs = {}) {
  return step(`Launch: select ${workflow} → Launch now`, async () => {
    await page.locator('.app_nav').getByRole('button', { name: 'Launch', exact: true }).click();
    const select = page.locator('select.launch_workflow_select');
    await select.waitFor({ timeout: STEP_MS });
    await page.waitForFunction((v) => [...document.querySelectorAll('select.launch_workflow_select option')].some((o) => o.value === v), workflow, { timeout: STEP_MS });
    await select.selectOption(workflow);
    for (const [label, value] of Object.entries(inputs)) {
      const field = page.locator('.launch_inputs :is(.launch_field, .launch_field_wide, .launch_grid_cell)').filter({ has: page.locator('label.launch_label', { hasText: new RegExp(`^${label}$`, 'i') }) });
      await field.locator('textarea, input').first().fill(value, { timeout: STEP_MS });
    }
    await page.waitForFunction(() => {
      const b = document.querySelector('button.launch_submit_btn');
      return b && !b.disabled;
    }, undefined, { timeout: STEP_MS });
    await shot('launch-form');
    const started = page.waitForResponse((r) => r.url().endsWith('/api/gateway/runs/start') && r.request().method() === 'POST', { timeout: STEP_MS });
    await page.locator('button.launch_submit_btn').click();
    const res = await started;
    if (!res.ok()) fail(`POST /runs/start -> ${res.status()} ${await res.text()}`);
    const err = page.locator('.observe_context_card.error');
    if (await err.count()) fail(`launch error: ${await err.first().textContent()}`);
    return (await res.json()).run_id;
  });
}

/**
 * Switch to Observe with a DOM click event: Observer's "Run is waiting" modal is global (shown
 * over every page) and has no close button, so a pointer click would hit the overlay instead.
 */
export async function openObserve(page) {
  await page.locator('.app_nav').getByRole('button', { name: 'Observe', exact: true }).dispatchEvent('click');
  await page.locator('.app_nav .nav_tab.active', { hasText: 'Observe' }).waitFor({ timeout: STEP_MS });
}

/** Optional tabs (clients.md §1.6 "degrades gracefully"): not part of PASS, shown for the report. */
export async function probeOptionalTabs({ page, shot }, tabs = ['Graph', 'Attachments']) {
  const out = {};
  for (const tab of tabs) {
    try {
      await page.locator('button.tab', { hasText: tab }).first().click({ timeout: 5000 });
      await page.waitForTimeout(2500);
      const errors = [
        ...(await page.locator('.observe_context_card.error').allTextContents()),
        ...(await page.locator('.log_item', { has: page.locator('.meta', { hasText: 'error' }) }).locator('.body').allTextContents()),
      ];
      out[tab] = errors.length ? `error shown: ${errors.join(' | ').slice(0, 300)}` : 'no error shown';
      await shot(`observe-tab-${tab.toLowerCase()}`);
    } catch (e) {
      out[tab] = `could not open: ${firstLine(e)}`;
    }
    log(`info ${tab} tab: ${out[tab]}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
/** Log what reached the gateway grouped by method + path; return the non-2xx and MUST failures. */
export function summarizeRequests(requests) {
  const groups = new Map();
  for (const r of requests) {
    const key = `${r.method} ${shape(r.path)} [${r.auth === 'bearer' ? 'direct' : r.auth === 'session' ? 'session' : r.method === 'OPTIONS' ? 'preflight' : 'no-auth'}]`;
    const g = groups.get(key) ?? {};
    g[r.status] = (g[r.status] ?? 0) + 1;
    groups.set(key, g);
  }
  log(`gateway requests: ${requests.length}`);
  for (const [key, statuses] of groups) log(`  ${key.padEnd(62)} ${Object.entries(statuses).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  const non2xx = requests.filter((r) => r.status < 200 || r.status >= 300);
  const mustFailures = non2xx.filter((r) => r.auth === 'bearer' || r.method === 'OPTIONS').map((r) => ({ ...r, must: mustName(r.method, r.path) })).filter((r) => r.must);
  for (const r of non2xx) log(`  non-2xx: ${r.method} ${r.url} -> ${r.status} (auth ${r.auth}, origin ${r.origin})${mustName(r.method, r.path) ? '  <-- MUST' : ''}`);
  return { non2xx, mustFailures };
}
