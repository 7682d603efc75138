#!/usr/bin/env node
// `abstractgateway` entry point.
//   serve   HTTP API + SSE (+ the runner unless --no-runner)
//   runner  the runner only, cooperating with API processes on the same data dir

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { ensureAuthTokens, loadSecurityConfig } from '../config/security.js';
import { Host } from '../gateway/host.js';
import { buildApp } from '../http/app.js';
import { StartupRefused, startupChecks } from './startup-checks.js';

const USAGE = `usage:
  abstractgateway serve  [--host HOST] [--port PORT] [--data-dir DIR] [--flows-dir DIR] [--no-runner]
  abstractgateway runner [--data-dir DIR] [--flows-dir DIR]`;

type Env = Record<string, string | undefined>;

const say = (msg: string) => process.stderr.write(`abstractgateway: ${msg}\n`);

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

function reportBundles(host: Host): void {
  for (const e of host.bundles.errors) say(`skipped bundle ${e.source}: ${e.error}`);
  say(`${host.bundles.loaded.length} bundle(s) from ${host.config.flowsDir}; data dir ${host.config.dataDir}`);
}

async function runner(config: Config): Promise<void> {
  const host = await Host.open(config);
  reportBundles(host);
  host.runtime.start();
  await untilSignal();
  await host.close(); // finishes the step in flight, releases leases
}

async function serve(config: Config, env: Env, listen: { host: string; port: number }): Promise<void> {
  const security = loadSecurityConfig(env);
  const { tokens, generatedPath } = await ensureAuthTokens(security, config.dataDir);
  if (generatedPath) say(`no ABSTRACTGATEWAY_AUTH_TOKEN set: generated an admin token in ${generatedPath} (mode 0600)`);
  for (const w of startupChecks(listen.host, security, tokens)) say(`warning: ${w}`);

  const host = await Host.open(config);
  reportBundles(host);
  const app = await buildApp({ plane: host, env, security: { ...security, tokens } });
  host.runtime.start();
  const address = await app.listen(listen);
  say(`listening on ${address}${config.runner ? '' : ' (no runner)'}`);

  const signal = await untilSignal();
  say(`${signal}: shutting down`);
  await app.close(); // stop accepting, end streams, let requests in flight finish
  await host.close();
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
      await runner(loadConfig(env, { runner: true }));
      return 0;
    case 'serve': {
      const port = Number(values.port ?? env.ABSTRACTGATEWAY_PORT ?? 8080);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be an integer 0..65535, got '${values.port}'`);
      const config = loadConfig(env, values['no-runner'] ? { runner: false } : {});
      await serve(config, env, { host: values.host ?? env.ABSTRACTGATEWAY_HOST ?? '0.0.0.0', port });
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
