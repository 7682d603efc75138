// What the CLI says about its configuration: the address it really bound (loopback by default),
// clear messages for bad values, hosted mode's bootstrap admin, and warnings about
// a flows dir that is missing or holds no bundle.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const TOKEN = 'cli-config-token-0123456789';

/** Run the CLI until it prints `until` (then SIGTERM it) or exits; returns its output and exit code. */
function run(args: string[], env: Record<string, string>, until?: RegExp): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer) => {
      out += String(d);
      if (until?.test(out)) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => resolve({ out, code }));
  });
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'agw-cfg-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('CLI configuration messages', () => {
  it('binds 127.0.0.1 by default and prints the address it bound', () =>
    withDir(async (dir) => {
      const { out } = await run(['serve', '--port', '0'], { ABSTRACTGATEWAY_DATA_DIR: join(dir, 'data') }, /listening on http/);
      assert.match(out, /listening on http:\/\/127\.0\.0\.1:\d+/);
      assert.doesNotMatch(out, /:0\b(?!\.)/, 'prints the real port, not the requested 0');
    }));

  it('prints 0.0.0.0 when asked to listen on every interface', () =>
    withDir(async (dir) => {
      const { out } = await run(['serve', '--host', '0.0.0.0', '--port', '0'], { ABSTRACTGATEWAY_DATA_DIR: join(dir, 'data') }, /listening on http/);
      assert.match(out, /listening on http:\/\/0\.0\.0\.0:[1-9]\d*/);
      assert.match(out, /listening on all interfaces/);
    }));

  it('names the variable and the value of a bad port', async () => {
    const { out, code } = await run(['serve'], { ABSTRACTGATEWAY_PORT: 'abc' });
    assert.equal(code, 1);
    assert.match(out, /ABSTRACTGATEWAY_PORT must be an integer 0\.\.65535, got 'abc'/);
    const flag = await run(['serve', '--port', '70000'], {});
    assert.match(flag.out, /--port must be an integer 0\.\.65535, got '70000'/);
  });

  it('names a connection setting that cannot work', async () => {
    const { out, code } = await run(['serve', '--port', '0'], { ABSTRACTGATEWAY_HEADERS_TIMEOUT_S: '30', ABSTRACTGATEWAY_REQUEST_TIMEOUT_S: '10' });
    assert.equal(code, 1);
    assert.match(out, /ABSTRACTGATEWAY_REQUEST_TIMEOUT_S \(10\) must be at least ABSTRACTGATEWAY_HEADERS_TIMEOUT_S \(30\)/);
  });

  it('hosted mode: creates the bootstrap admin once and names where its token is, never the token', () =>
    withDir(async (dir) => {
      const env = { ABSTRACTGATEWAY_USER_AUTH: '1', ABSTRACTGATEWAY_AUTH_TOKEN: '', ABSTRACTGATEWAY_DATA_DIR: join(dir, 'data'), ABSTRACTGATEWAY_FLOWS_DIR: join(dir, 'flows') };
      const first = await run(['serve', '--port', '0'], env, /listening on http/);
      assert.match(first.out, /Gateway user auth: enabled/);
      assert.match(first.out, /Gateway admin user: default\/admin \(runtime: default\) created/);
      assert.match(first.out, /Gateway admin token: the one in the token file .*bootstrap-admin-token/);
      const second = await run(['serve', '--port', '0'], env, /listening on http/);
      assert.match(second.out, /Gateway admin user: default\/admin \(runtime: default\)\n/);
    }));

  it('warns about a missing flows dir and about one without bundles', () =>
    withDir(async (dir) => {
      const env = { ABSTRACTGATEWAY_DATA_DIR: join(dir, 'data'), ABSTRACTGATEWAY_FLOWS_DIR: join(dir, 'flows') };
      const first = await run(['serve', '--port', '0'], env, /listening on http/);
      assert.match(first.out, /warning: flows dir .*flows did not exist; created it empty/);
      const second = await run(['serve', '--port', '0'], env, /listening on http/);
      assert.match(second.out, /warning: no \.flow bundles in .*flows/);
    }));
});
