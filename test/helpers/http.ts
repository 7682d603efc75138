// A real gateway over a real socket on 127.0.0.1 for HTTP tests.

import { mkdtemp, mkdir, rm, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/config.js';
import { Gateway } from '../../src/app/gateway.js';
import type { DataPlane } from '../../src/gateway/plane.js';
import { buildApp, type AppOptions } from '../../src/http/app.js';
import type { GatewayApp } from '../../src/http/types.js';
import { FIXTURES } from './harness.js';

export interface TestServer {
  url: string;
  app: GatewayApp;
  gateway: Gateway;
  /** The root data plane (local mode serves every request from it). */
  plane: DataPlane;
  dataDir: string;
  flowsDir: string;
  /** fetch against the server with the bearer token unless headers override it. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export const TEST_TOKEN = 'test-token-0123456789abcdef';

export async function startServer(
  opts: {
    /** Overrides the test env; an undefined value removes the variable (e.g. the auth token). */
    env?: Record<string, string | undefined>;
    fixtures?: string[];
    config?: Partial<Config>;
    app?: Partial<AppOptions>;
    /** Receives what the store, the runner and the app report (failure streaks, 500s) instead of stderr. */
    report?: (message: string) => void;
    /** Runs on the built app before it listens: register test-only routes here. */
    beforeListen?: (app: GatewayApp) => void | Promise<void>;
  } = {},
): Promise<TestServer> {
  const root = await mkdtemp(join(tmpdir(), 'agw-http-'));
  const dataDir = join(root, 'data');
  const flowsDir = join(root, 'flows');
  await mkdir(flowsDir, { recursive: true });
  for (const f of opts.fixtures ?? []) await copyFile(join(FIXTURES, f), join(flowsDir, f));
  const env = { ABSTRACTGATEWAY_DATA_DIR: dataDir, ABSTRACTGATEWAY_FLOWS_DIR: flowsDir, ABSTRACTGATEWAY_AUTH_TOKEN: TEST_TOKEN, ABSTRACTGATEWAY_POLL_S: '0.05', ...opts.env };
  const gateway = (await Gateway.open(loadConfig(env, opts.config), { report: opts.report })).start();
  const app = await buildApp({ gateway, env, report: opts.report, ...opts.app });
  await opts.beforeListen?.(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    url,
    app,
    gateway,
    plane: gateway.root,
    dataDir,
    flowsDir,
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${TEST_TOKEN}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set('content-type', 'application/json');
        body = JSON.stringify(init.json);
      }
      return fetch(url + path, { ...init, headers, body });
    },
    async close() {
      await app.close();
      await gateway.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
