#!/usr/bin/env node
// Manual acceptance with the REAL AbstractObserver in direct (bearer) mode (docs/clients.md).
// Not part of `npm test`; Observer's code stays outside this repository.
//
//   npm run build
//   node scripts/observer-acceptance.mjs /path/to/AbstractObserver              (ask/answer demo)
//   SCENARIO=agent node scripts/observer-acceptance.mjs /path/to/AbstractObserver  (agent + approval)
//
// The Observer checkout must be built (`npm ci && npm run build`, with AbstractUIC checked out
// as its sibling `../abstractuic`). This script:
//   1. prepares the scenario (scripts/observer/scenario-<name>.mjs): its flows dir, workflow and
//      gateway env (the agent scenario also starts a scripted OpenAI-compatible provider);
//   2. starts the gateway from dist/ on 127.0.0.1 with a known token, recording every request;
//   3. serves Observer with `PORT=3901 HOST=127.0.0.1 node bin/cli.js`;
//   4. drives Debian's Chromium with playwright-core through the scenario's steps (Settings →
//      Connect, Launch, Observe, answering the waiting dialog, status "completed");
//   5. logs every request that reached the gateway (method, path, status), flags non-2xx answers
//      to the calls clients.md §1.6 lists as MUST for Settings/Launch/Observe, and writes
//      screenshots + requests.json to OUT_DIR.
// Exit code 0 when every step passed and no MUST call failed.
//
// Env: SCENARIO (ask | agent), OBSERVER_DIR, OBSERVER_PORT (3901), GATEWAY_PORT (0 = any free
// port), GATEWAY_TOKEN, WORKFLOW (<bundle_id>:<flow_id>), RESPONSE (ask: Ada), PROMPT (agent),
// CHROMIUM (/usr/bin/chromium), OUT_DIR (/tmp/observer-acceptance[-agent]), PROXY_TO_GATEWAY (1:
// also point Observer's own /api proxy at the gateway via ABSTRACTOBSERVER_GATEWAY_URL).

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { log, openBrowser, startGateway, startObserver, stepper, summarizeRequests } from './observer/harness.mjs';

const SCENARIOS = { ask: './observer/scenario-ask.mjs', agent: './observer/scenario-agent.mjs' };
const SCENARIO = process.env.SCENARIO ?? 'ask';
const OBSERVER_DIR = resolve(process.argv[2] ?? process.env.OBSERVER_DIR ?? '');
const OBSERVER_PORT = Number(process.env.OBSERVER_PORT ?? 3901);
const GATEWAY_PORT = Number(process.env.GATEWAY_PORT ?? 0);
const TOKEN = process.env.GATEWAY_TOKEN ?? 'observer-acceptance-token-0123456789';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const OUT_DIR = resolve(process.env.OUT_DIR ?? join(tmpdir(), SCENARIO === 'ask' ? 'observer-acceptance' : `observer-acceptance-${SCENARIO}`));
const PROXY_TO_GATEWAY = process.env.PROXY_TO_GATEWAY !== '0';

async function main() {
  if (!SCENARIOS[SCENARIO]) throw new Error(`SCENARIO must be one of ${Object.keys(SCENARIOS).join(', ')}`);
  const scenario = await import(SCENARIOS[SCENARIO]);
  await rm(OUT_DIR, { recursive: true, force: true });
  await mkdir(OUT_DIR, { recursive: true });
  const dataDir = await mkdtemp(join(tmpdir(), 'observer-acceptance-data-'));
  const setup = await scenario.setup();
  const gw = await startGateway({ flowsDir: setup.flowsDir, dataDir, token: TOKEN, port: GATEWAY_PORT, env: setup.env });
  log(`scenario ${SCENARIO}: gateway ${gw.url} (flows ${setup.flowsDir}), workflow ${setup.workflow}`);
  let observer;
  let session;
  let ui;
  let result = null;
  let error = null;
  try {
    observer = await startObserver({ dir: OBSERVER_DIR, port: OBSERVER_PORT, gatewayUrl: PROXY_TO_GATEWAY ? gw.url : null });
    log(`observer ${observer.url} (${OBSERVER_DIR})`);
    session = await openBrowser(CHROMIUM);
    ui = { page: session.page, ...stepper(session.page, OUT_DIR) };
    result = await scenario.drive(ui, { ...setup, observerUrl: observer.url, gatewayUrl: gw.url, token: TOKEN, gw });
    await new Promise((r) => setTimeout(r, 3000)); // let the 2 s polls and the stream reconnect loop show up in the log
  } catch (e) {
    error = e;
  } finally {
    await session?.browser.close().catch(() => {});
    observer?.child.kill('SIGTERM');
    await gw.close().catch((e) => log(`gateway close: ${e?.message ?? e}`));
    await setup.cleanup();
  }

  const { non2xx, mustFailures } = summarizeRequests(gw.requests);
  const browserErrors = session?.errors ?? [];
  if (browserErrors.length) log(`browser errors:\n  ${browserErrors.join('\n  ')}`);
  await rm(dataDir, { recursive: true, force: true });
  const report = {
    scenario: SCENARIO,
    gateway: gw.url,
    observer: `http://127.0.0.1:${OBSERVER_PORT}`,
    workflow: setup.workflow,
    steps: ui?.steps ?? [],
    result,
    screenshots: ui?.shots ?? [],
    requests: gw.requests,
    non2xx,
    must_failures: mustFailures,
    browser_errors: browserErrors,
    observer_output: observer?.output() ?? '',
  };
  await writeFile(join(OUT_DIR, 'requests.json'), JSON.stringify(report, null, 2));
  log(`screenshots: ${report.screenshots.join(', ')}`);
  log(`report: ${join(OUT_DIR, 'requests.json')}`);
  const ok = !error && mustFailures.length === 0;
  const why = `${error ? `: ${String(error.message ?? error).split('\n')[0]}` : ''}${mustFailures.length ? ` (${mustFailures.length} MUST call(s) not 2xx)` : ''}`;
  log(ok ? `PASS: AbstractObserver direct mode works against the gateway (scenario ${SCENARIO})` : `FAIL${why}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`observer-acceptance: ${e?.stack ?? e}\n`);
    process.exit(1);
  },
);
