#!/usr/bin/env node
// `abstractgateway` entry point.
//   serve   HTTP API + SSE (+ the runner unless --no-runner)
//   runner  the runner only, cooperating with API processes on the same data dir
//   migrate copies a SQLite data dir into PostgreSQL

import { existsSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { bootstrapTokenPath, ensureAuthTokens, loadSecurityConfig } from '../config/security.js';
import type { HostedServices } from '../gateway/plane.js';
import { BOOTSTRAP_RUNTIME, BOOTSTRAP_TENANT, BOOTSTRAP_USER } from '../gateway/users-bootstrap.js';
import { Gateway } from '../app/gateway.js';
import { buildApp } from '../http/app.js';
import { loadConnectionConfig } from '../config/connections.js';
import { migrateCommand } from './migrate.js';
import { StartupRefused, startupChecks } from './startup-checks.js';
import { shutdownWithin } from './shutdown.js';

const USAGE = `usage:
  abstractgateway serve  [--host HOST] [--port PORT] [--data-dir DIR] [--flows-dir DIR] [--no-runner]
                         (default --host 127.0.0.1; use 0.0.0.0 to listen on every interface)
  abstractgateway runner [--data-dir DIR] [--flows-dir DIR]
  abstractgateway migrate --from sqlite:PATH --to postgres:URL
                         (PATH: a data dir or its gateway.sqlite3; resumable; verifies counts)`;

type Env = Record<string, string | undefined>;

const say = (msg: string) => process.stderr.write(`abstractgateway: ${msg}\n`);

/** The first SIGTERM/SIGINT; both handlers go with it, so a second signal ends the process at once. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string) => {
      process.off('SIGTERM', on).off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on).on('SIGINT', on);
  });
}

/** Open the gateway, saying what was (and was not) found in the flows dir. */
async function openGateway(config: Config): Promise<Gateway> {
  const missing = !existsSync(config.flowsDir);
  const gateway = await Gateway.open(config);
  const { bundles } = gateway.root.catalog;
  for (const e of bundles.errors) say(`skipped bundle ${e.source}: ${e.error}`);
  if (missing) say(`warning: flows dir ${config.flowsDir} did not exist; created it empty (set ABSTRACTGATEWAY_FLOWS_DIR or --flows-dir)`);
  else if (bundles.loaded.length === 0 && !readdirSync(config.flowsDir).some((f) => f.endsWith('.flow'))) {
    say(`warning: no .flow bundles in ${config.flowsDir}: upload one (POST /api/gateway/bundles/upload) or point --flows-dir elsewhere`);
  }
  say(`${bundles.loaded.length} bundle(s) from ${config.flowsDir}; data dir ${config.dataDir}`);
  return gateway;
}

const exit = (code: number) => process.exit(code);

async function runner(config: Config, env: Env): Promise<void> {
  const { shutdownTimeoutMs } = loadConnectionConfig(env);
  const gateway = (await openGateway(config)).start();
  await untilSignal();
  // Finishes the step in flight and releases leases, within the deadline.
  await shutdownWithin({ deadlineMs: shutdownTimeoutMs, stop: () => gateway.close(), say, exit });
}

/** `http://host:port` of the socket actually bound (IPv6 hosts bracketed). */
function boundUrl(address: AddressInfo | string | null): string {
  if (address === null || typeof address === 'string') return String(address);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

async function serve(config: Config, env: Env, listen: { host: string; port: number }): Promise<void> {
  const security = loadSecurityConfig(env);
  const connections = loadConnectionConfig(env);
  const { tokens, generatedPath } = await ensureAuthTokens(security, config.dataDir);
  if (generatedPath) say(`no ABSTRACTGATEWAY_AUTH_TOKEN set: generated an admin token in ${generatedPath} (mode 0600)`);
  for (const w of startupChecks(listen.host, security, tokens)) say(`warning: ${w}`);

  const gateway = await openGateway(config);
  if (gateway.hosted) await announceHosted(gateway.hosted, tokens, bootstrapTokenPath(security, config.dataDir), security.tokens.length > 0);
  const app = await buildApp({ gateway, env, security: { ...security, tokens }, connections });
  gateway.start();
  await app.listen(listen);
  say(`listening on ${boundUrl(app.server.address())}${config.runner ? '' : ' (no runner)'}`);

  const signal = await untilSignal();
  say(`${signal}: shutting down (at most ${connections.shutdownTimeoutMs / 1000} s)`);
  await shutdownWithin({
    deadlineMs: connections.shutdownTimeoutMs,
    // Stop accepting, close idle keep-alive sockets, end streams, let requests in flight finish;
    // then the runner finishes its step in flight and releases its leases.
    stop: async () => {
      await app.close();
      await gateway.close();
    },
    cutConnections: () => app.server.closeAllConnections(),
    say,
    exit,
  });
}

/** Hosted mode: create the bootstrap admin (once) and say where its token is (never the token itself). */
async function announceHosted(hosted: HostedServices, tokens: string[], tokenFile: string, tokenFromEnv: boolean): Promise<void> {
  say('Gateway user auth: enabled (one runtime per user).');
  const token = hosted.config.bootstrapAdminToken ?? tokens[0];
  if (!hosted.config.bootstrapAdmin || !token) return;
  const created = await hosted.bootstrapAdmin(token);
  say(`Gateway admin user: ${BOOTSTRAP_TENANT}/${BOOTSTRAP_USER} (runtime: ${BOOTSTRAP_RUNTIME})${created ? ' created' : ''}`);
  if (created) {
    const source = hosted.config.bootstrapAdminToken ? 'ABSTRACTGATEWAY_BOOTSTRAP_ADMIN_TOKEN' : tokenFromEnv ? 'ABSTRACTGATEWAY_AUTH_TOKEN' : `the token file ${tokenFile}`;
    say(`Gateway admin token: the one in ${source}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'flows-dir': { type: 'string' },
      'no-runner': { type: 'boolean' },
      from: { type: 'string' },
      to: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (existsSync('.env')) process.loadEnvFile('.env'); // never overrides variables already set
  const env: Env = { ...process.env };
  if (values['data-dir']) env.ABSTRACTGATEWAY_DATA_DIR = values['data-dir'];
  if (values['flows-dir']) env.ABSTRACTGATEWAY_FLOWS_DIR = values['flows-dir'];
  switch (command) {
    case 'runner':
      await runner(loadConfig(env, { runner: true }), env);
      return 0;
    case 'migrate':
      return migrateCommand(values.from, values.to, say);
    case 'serve': {
      const [portFrom, rawPort] = values.port !== undefined ? ['--port', values.port] : env.ABSTRACTGATEWAY_PORT?.trim() ? ['ABSTRACTGATEWAY_PORT', env.ABSTRACTGATEWAY_PORT] : ['', '8080'];
      const port = /^\d+$/.test(rawPort.trim()) ? Number(rawPort.trim()) : NaN;
      if (!Number.isInteger(port) || port > 65535) throw new ConfigError(`${portFrom} must be an integer 0..65535, got '${rawPort}'`);
      const config = loadConfig(env, values['no-runner'] ? { runner: false } : {});
      // Loopback unless asked otherwise, like the reference's documented start.
      await serve(config, env, { host: values.host ?? (env.ABSTRACTGATEWAY_HOST?.trim() || '127.0.0.1'), port });
      return 0;
    }
    default:
      process.stderr.write(`unknown command '${command}'\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    const known = e instanceof ConfigError || e instanceof StartupRefused;
    process.stderr.write(`abstractgateway: ${known ? '' : 'error: '}${(e as Error).message}\n`);
    process.exit(1);
  },
);
