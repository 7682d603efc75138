#!/usr/bin/env node
// `abstractgateway` entry point. `runner` drives runs of a data dir until SIGTERM/SIGINT;
// `serve` will add the HTTP API (until then it runs the engine like `runner`).

import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { openHost } from '../gateway/host.js';

const USAGE = `usage: abstractgateway <serve|runner> [--data-dir DIR] [--flows-dir DIR]`;

async function runEngine(config: Config): Promise<void> {
  const host = await openHost(config);
  for (const e of host.bundles.errors) process.stderr.write(`skipped bundle ${e.source}: ${e.error}\n`);
  host.runtime.start();
  process.stderr.write(`abstractgateway runner: data dir ${config.dataDir}, ${host.bundles.loaded.length} bundle(s) from ${config.flowsDir}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  // Graceful: stop claiming, finish the step in flight, release leases, close the store.
  await host.close();
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' }, 'flows-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const env = { ...process.env };
  if (values['data-dir']) env.ABSTRACTGATEWAY_DATA_DIR = values['data-dir'];
  if (values['flows-dir']) env.ABSTRACTGATEWAY_FLOWS_DIR = values['flows-dir'];
  switch (command) {
    case 'runner':
      await runEngine(loadConfig(env, { runner: true }));
      return 0;
    case 'serve':
      process.stderr.write('note: the HTTP API is not available yet; serving the run engine only\n');
      await runEngine(loadConfig(env));
      return 0;
    default:
      process.stderr.write(`unknown command '${command}'\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${e instanceof ConfigError ? 'configuration error' : 'error'}: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
