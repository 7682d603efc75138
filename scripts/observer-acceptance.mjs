#!/usr/bin/env node
// Manual acceptance with the REAL AbstractObserver in direct (bearer) mode (docs/clients.md).
// Not part of `npm test`; Observer's code stays outside this repository.
//
//   npm run build
//   node scripts/observer-acceptance.mjs /path/to/AbstractObserver     (or OBSERVER_DIR=...)
//
// The Observer checkout must be built (`npm ci && npm run build`, with AbstractUIC checked out
// as its sibling `../abstractuic`). This script:
//   1. starts the gateway from dist/ on 127.0.0.1 with a known token and the shipped bundles
//      (bundles/), or a small ask/answer bundle of its own when no demo bundle is shipped;
//   2. serves Observer with `PORT=3901 HOST=127.0.0.1 node bin/cli.js`;
//   3. drives Debian's Chromium with playwright-core: Settings → Gateway URL + direct token (user
//      empty) → Connect → LED ok; Launch → the demo workflow → Launch now; Observe → ledger cards
//      appear live, the waiting modal takes a response, the status bar reaches "completed";
//   4. logs every request that reached the gateway (method, path, status), flags non-2xx answers
//      to the calls clients.md §1.6 lists as MUST for Settings/Launch/Observe, and writes
//      screenshots + requests.json to OUT_DIR.
// Exit code 0 when every step passed and no MUST call failed.
//
// Env: OBSERVER_DIR, OBSERVER_PORT (3901), GATEWAY_PORT (0 = any free port), GATEWAY_TOKEN,
// WORKFLOW (<bundle_id>:<flow_id>, default: the shipped demo-ask bundle), RESPONSE (Ada),
// CHROMIUM (/usr/bin/chromium), OUT_DIR (/tmp/observer-acceptance), PROXY_TO_GATEWAY (1: also
// point Observer's own /api proxy at the gateway via ABSTRACTOBSERVER_GATEWAY_URL).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const OBSERVER_DIR = resolve(process.argv[2] ?? process.env.OBSERVER_DIR ?? '');
const OBSERVER_PORT = Number(process.env.OBSERVER_PORT ?? 3901);
const GATEWAY_PORT = Number(process.env.GATEWAY_PORT ?? 0);
const TOKEN = process.env.GATEWAY_TOKEN ?? 'observer-acceptance-token-0123456789';
const RESPONSE = process.env.RESPONSE ?? 'Ada';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const OUT_DIR = resolve(process.env.OUT_DIR ?? join(tmpdir(), 'observer-acceptance'));
const PROXY_TO_GATEWAY = process.env.PROXY_TO_GATEWAY !== '0';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const STEP_MS = 20_000; // Observer polls every 2 s and its SSE reconnect backoff reaches 5 s (clients.md §4)

const t0 = Date.now();
const log = (msg) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
const fail = (msg) => {
  throw new Error(msg);
};

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
async function flowsDirFor() {
  const shipped = join(REPO, 'bundles');
  const names = existsSync(shipped) ? await readdir(shipped) : [];
  if (names.includes('demo-ask.flow')) return { flowsDir: shipped, workflow: process.env.WORKFLOW ?? 'demo-ask:ask-name', own: null };
  // No demo bundle shipped (yet): write a small ask → answer bundle into a temp flows dir.
  const dir = await mkdtemp(join(tmpdir(), 'observer-acceptance-flows-'));
  const bdir = join(dir, 'acceptance-ask.flow');
  await mkdir(join(bdir, 'flows'), { recursive: true });
  const x = (id) => ({ id, type: 'execution' });
  const p = (id, type = 'any') => ({ id, type });
  const flow = {
    id: 'ask-name',
    name: 'ask-name',
    nodes: [
      { id: 'start', type: 'on_flow_start', data: { nodeType: 'on_flow_start', inputs: [], outputs: [x('exec-out')] } },
      { id: 'ask', type: 'ask_user', data: { nodeType: 'ask_user', label: 'Ask name', inputs: [x('exec-in'), p('prompt', 'string')], outputs: [x('exec-out'), p('response', 'string')], pinDefaults: { prompt: 'What is your name?' } } },
      { id: 'say', type: 'answer_user', data: { nodeType: 'answer_user', label: 'Greet', inputs: [x('exec-in'), p('message', 'string')], outputs: [x('exec-out')] } },
      { id: 'end', type: 'on_flow_end', data: { nodeType: 'on_flow_end', inputs: [x('exec-in'), p('response', 'string')], outputs: [] } },
    ],
    edges: [
      { source: 'start', sourceHandle: 'exec-out', target: 'ask', targetHandle: 'exec-in' },
      { source: 'ask', sourceHandle: 'exec-out', target: 'say', targetHandle: 'exec-in' },
      { source: 'say', sourceHandle: 'exec-out', target: 'end', targetHandle: 'exec-in' },
      { source: 'ask', sourceHandle: 'response', target: 'say', targetHandle: 'message' },
      { source: 'ask', sourceHandle: 'response', target: 'end', targetHandle: 'response' },
    ],
  };
  const manifest = {
    bundle_format_version: '1',
    bundle_id: 'acceptance-ask',
    bundle_version: '0.0.1',
    entrypoints: [{ flow_id: 'ask-name', name: 'ask-name', description: 'Asks a name and answers it', interfaces: [] }],
    default_entrypoint: 'ask-name',
    flows: { 'ask-name': 'flows/ask-name.json' },
  };
  await writeFile(join(bdir, 'manifest.json'), JSON.stringify(manifest));
  await writeFile(join(bdir, 'flows', 'ask-name.json'), JSON.stringify(flow));
  return { flowsDir: dir, workflow: process.env.WORKFLOW ?? 'acceptance-ask:ask-name', own: dir };
}

/** The gateway from dist/, in this process, with a request recorder on its HTTP server. */
async function startGateway(flowsDir, dataDir) {
  const dist = join(REPO, 'dist', 'src');
  if (!existsSync(join(dist, 'http', 'app.js'))) fail(`no build in ${dist}: run \`npm run build\` first`);
  const { loadConfig } = await import(join(dist, 'config', 'config.js'));
  const { Gateway } = await import(join(dist, 'app', 'gateway.js'));
  const { buildApp } = await import(join(dist, 'http', 'app.js'));
  const env = { ...process.env, ABSTRACTGATEWAY_DATA_DIR: dataDir, ABSTRACTGATEWAY_FLOWS_DIR: flowsDir, ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN };
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
  await app.listen({ host: '127.0.0.1', port: GATEWAY_PORT });
  const { port } = app.server.address();
  return { url: `http://127.0.0.1:${port}`, requests, close: async () => (await app.close(), await host.close()) };
}

async function startObserver(gatewayUrl) {
  if (!existsSync(join(OBSERVER_DIR, 'bin', 'cli.js'))) fail(`no Observer checkout at '${OBSERVER_DIR}' (pass its path as the first argument or OBSERVER_DIR)`);
  if (!existsSync(join(OBSERVER_DIR, 'dist', 'index.html'))) fail(`Observer is not built: cd ${OBSERVER_DIR} && npm ci && npm run build`);
  const env = { ...process.env, PORT: String(OBSERVER_PORT), HOST: '127.0.0.1' };
  if (PROXY_TO_GATEWAY) env.ABSTRACTOBSERVER_GATEWAY_URL = gatewayUrl;
  else delete env.ABSTRACTOBSERVER_GATEWAY_URL;
  const child = spawn(process.execPath, ['bin/cli.js'], { cwd: OBSERVER_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${OBSERVER_PORT}`;
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

// ---------------------------------------------------------------------------------------------
async function drive(page, gatewayUrl, workflow, shots, steps) {
  const step = async (name, fn) => {
    const s = Date.now();
    try {
      await fn();
      steps.push({ step: name, ok: true, ms: Date.now() - s });
      log(`ok   ${name}`);
    } catch (e) {
      steps.push({ step: name, ok: false, ms: Date.now() - s, error: String(e?.message ?? e).split('\n')[0] });
      log(`FAIL ${name}: ${String(e?.message ?? e).split('\n')[0]}`);
      await shot('failure');
      throw e;
    }
  };
  const shot = async (name) => {
    const path = join(OUT_DIR, `${String(shots.length + 1).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path, fullPage: false }).catch(() => {});
    shots.push(path);
  };

  await step('load Observer', async () => {
    await page.goto(`http://127.0.0.1:${OBSERVER_PORT}/`, { waitUntil: 'domcontentloaded' });
    await page.locator('.app_nav').waitFor({ timeout: STEP_MS });
  });
  await step('Settings: direct mode (URL + token, user empty) → Connect → LED ok', async () => {
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByPlaceholder('https://your-gateway-host').fill(gatewayUrl);
    await page.getByPlaceholder('user id for hosted sign-in').fill('');
    await page.getByPlaceholder('optional direct dev token').fill(TOKEN);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.locator('span.gateway_led.ok').waitFor({ timeout: STEP_MS });
    await page.getByRole('button', { name: 'Disconnect', exact: true }).first().waitFor({ timeout: STEP_MS });
    await shot('settings-connected');
  });
  await step(`Launch: select ${workflow} → Launch now`, async () => {
    await page.locator('.app_nav').getByRole('button', { name: 'Launch', exact: true }).click();
    const select = page.locator('select.launch_workflow_select');
    await select.waitFor({ timeout: STEP_MS });
    await page.waitForFunction((v) => [...document.querySelectorAll('select.launch_workflow_select option')].some((o) => o.value === v), workflow, { timeout: STEP_MS });
    await select.selectOption(workflow);
    const btn = page.locator('button.launch_submit_btn');
    await page.waitForFunction(() => {
      const b = document.querySelector('button.launch_submit_btn');
      return b && !b.disabled;
    }, undefined, { timeout: STEP_MS });
    await shot('launch-form');
    const started = page.waitForResponse((r) => r.url().endsWith('/api/gateway/runs/start') && r.request().method() === 'POST', { timeout: STEP_MS });
    await btn.click();
    const res = await started;
    if (!res.ok()) fail(`POST /runs/start -> ${res.status()} ${await res.text()}`);
    const err = page.locator('.observe_context_card.error');
    if (await err.count()) fail(`launch error: ${await err.first().textContent()}`);
  });
  let before = 0;
  await step('Observe: ledger cards (.lc) appear live while the run waits', async () => {
    // Observer attaches the launched run at once; its "Run is waiting" modal is global (shown over
    // the Launch page too) and has no close button, so switch tabs with a DOM click event, which
    // React handles like a user click, instead of a pointer click the overlay would intercept.
    await page.locator('.app_nav').getByRole('button', { name: 'Observe', exact: true }).dispatchEvent('click');
    await page.locator('.app_nav .nav_tab.active', { hasText: 'Observe' }).waitFor({ timeout: STEP_MS });
    await page.locator('.lc').first().waitFor({ timeout: STEP_MS });
    await page.locator('.overlay .modal').waitFor({ timeout: STEP_MS });
    await page.locator('.status_bar', { hasText: 'waiting' }).waitFor({ timeout: STEP_MS });
    before = await page.locator('.lc').count();
    const h2 = await page.locator('.overlay .modal h2').textContent();
    if (!/Run is waiting/.test(h2 ?? '')) fail(`unexpected modal: ${h2}`);
    await shot('observe-waiting-modal');
  });
  await step('Waiting modal: Submit response', async () => {
    await page.getByPlaceholder('Type response…').fill(RESPONSE);
    const cmd = page.waitForResponse((r) => r.url().endsWith('/api/gateway/commands') && r.request().method() === 'POST', { timeout: STEP_MS });
    await page.getByRole('button', { name: 'Submit response', exact: true }).click();
    const res = await cmd;
    if (!res.ok()) fail(`POST /commands -> ${res.status()} ${await res.text()}`);
  });
  await step('Observe: answer_user card rendered, status bar reaches completed', async () => {
    await page.locator('.lc', { hasText: 'answer_user' }).first().waitFor({ timeout: STEP_MS });
    await page.locator('.status_bar', { hasText: 'completed' }).waitFor({ timeout: STEP_MS });
    const after = await page.locator('.lc').count();
    if (after <= before) fail(`no new ledger cards after the answer (${before} → ${after})`);
    await shot('observe-completed');
  });
  const result = { cardsBefore: before, cardsAfter: await page.locator('.lc').count(), cardTitles: await page.locator('.lc .lc_title').allTextContents(), optionalTabs: {} };
  // Optional tabs (clients.md §1.6 "degrades gracefully"): not part of PASS, shown for the report.
  for (const tab of ['Graph', 'Attachments']) {
    try {
      await page.locator('button.tab', { hasText: tab }).first().click({ timeout: 5000 });
      await page.waitForTimeout(2500);
      const errors = [
        ...(await page.locator('.observe_context_card.error').allTextContents()),
        ...(await page.locator('.log_item', { has: page.locator('.meta', { hasText: 'error' }) }).locator('.body').allTextContents()),
      ];
      result.optionalTabs[tab] = errors.length ? `error shown: ${errors.join(' | ').slice(0, 300)}` : 'no error shown';
      await shot(`observe-tab-${tab.toLowerCase()}`);
    } catch (e) {
      result.optionalTabs[tab] = `could not open: ${String(e?.message ?? e).split('\n')[0]}`;
    }
    log(`info ${tab} tab: ${result.optionalTabs[tab]}`);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
async function main() {
  await rm(OUT_DIR, { recursive: true, force: true });
  await mkdir(OUT_DIR, { recursive: true });
  const dataDir = await mkdtemp(join(tmpdir(), 'observer-acceptance-data-'));
  const { flowsDir, workflow, own } = await flowsDirFor();
  const gw = await startGateway(flowsDir, dataDir);
  log(`gateway ${gw.url} (flows ${flowsDir}${own ? ', own ask/answer bundle' : ''}), workflow ${workflow}`);
  let observer;
  let browser;
  const steps = [];
  const shots = [];
  const browserLog = [];
  let result = null;
  let error = null;
  try {
    observer = await startObserver(gw.url);
    log(`observer ${observer.url} (${OBSERVER_DIR})`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await ctx.newPage();
    page.on('console', (m) => m.type() === 'error' && browserLog.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => browserLog.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => browserLog.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
    result = await drive(page, gw.url, workflow, shots, steps);
    await new Promise((r) => setTimeout(r, 3000)); // let the 2 s polls and the stream reconnect loop show up in the log
  } catch (e) {
    error = e;
  } finally {
    await browser?.close().catch(() => {});
    observer?.child.kill('SIGTERM');
    await gw.close().catch(() => {});
  }

  // Summary of what reached the gateway.
  const reqs = gw.requests;
  const groups = new Map();
  for (const r of reqs) {
    const key = `${r.method} ${shape(r.path)} [${r.auth === 'bearer' ? 'direct' : r.auth === 'session' ? 'session' : r.method === 'OPTIONS' ? 'preflight' : 'no-auth'}]`;
    const g = groups.get(key) ?? {};
    g[r.status] = (g[r.status] ?? 0) + 1;
    groups.set(key, g);
  }
  log(`gateway requests: ${reqs.length}`);
  for (const [key, statuses] of groups) log(`  ${key.padEnd(62)} ${Object.entries(statuses).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  const non2xx = reqs.filter((r) => r.status < 200 || r.status >= 300);
  const mustFailures = non2xx.filter((r) => r.auth === 'bearer' || r.method === 'OPTIONS').map((r) => ({ ...r, must: mustName(r.method, r.path) })).filter((r) => r.must);
  for (const r of non2xx) log(`  non-2xx: ${r.method} ${r.url} -> ${r.status} (auth ${r.auth}, origin ${r.origin})${mustName(r.method, r.path) ? '  <-- MUST' : ''}`);
  if (browserLog.length) log(`browser errors:\n  ${browserLog.join('\n  ')}`);
  if (own) await rm(own, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
  const report = { gateway: gw.url, observer: `http://127.0.0.1:${OBSERVER_PORT}`, workflow, steps, result, screenshots: shots, requests: reqs, non2xx, must_failures: mustFailures, browser_errors: browserLog, observer_output: observer?.output() ?? '' };
  await writeFile(join(OUT_DIR, 'requests.json'), JSON.stringify(report, null, 2));
  log(`screenshots: ${shots.join(', ')}`);
  log(`report: ${join(OUT_DIR, 'requests.json')}`);
  const ok = !error && mustFailures.length === 0;
  log(ok ? 'PASS: AbstractObserver direct mode works against the gateway' : `FAIL${error ? `: ${String(error.message ?? error).split('\n')[0]}` : ''}${mustFailures.length ? ` (${mustFailures.length} MUST call(s) not 2xx)` : ''}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`observer-acceptance: ${e?.stack ?? e}\n`);
    process.exit(1);
  },
);
