// execute_command: runs in the workspace, is killed at its timeout, caps its output, and sees
// none of the server's secrets in its environment.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeSandbox, type Sandbox } from './kit.js';
import { COMMAND_OUTPUT_CAP } from '../../src/tools/command.js';

describe('execute_command', () => {
  let sb: Sandbox;
  before(async () => (sb = await makeSandbox()));
  after(() => sb.close());

  it('runs in the workspace root by default, and in a folder inside it when asked', async () => {
    const root = await sb.run('execute_command', { command: 'pwd' });
    assert.equal(root.success, true, JSON.stringify(root));
    assert.equal((root.output as any).stdout.trim(), sb.ws);
    const sub = await sb.run('execute_command', { command: 'pwd', working_directory: 'src' });
    assert.equal((sub.output as any).stdout.trim(), join(sb.ws, 'src'));
  });

  it('gets only the allowlisted environment: no gateway tokens, no provider keys', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { ABSTRACTGATEWAY_AUTH_TOKEN: 'gw-secret-1', OPENAI_API_KEY: 'sk-secret-2', ANTHROPIC_API_KEY: 'sk-ant-3', DATABASE_URL: 'postgres://u:p@h/db' });
    try {
      const o = await sb.run('execute_command', { command: 'env' });
      const out = (o.output as any).stdout as string;
      for (const secret of ['gw-secret-1', 'sk-secret-2', 'sk-ant-3', 'postgres://', 'ABSTRACTGATEWAY_', '_API_KEY']) assert.ok(!out.includes(secret), `env leaked ${secret}`);
      assert.match(out, /^PATH=/m);
    } finally {
      for (const k of ['ABSTRACTGATEWAY_AUTH_TOKEN', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'DATABASE_URL']) if (!(k in saved)) delete process.env[k];
    }
  });

  it('a command that outlives its timeout is killed with its children and reported as a failure', async () => {
    const o = await sb.run('execute_command', { command: 'sleep 60 & sleep 60; echo never', timeout: 1 });
    assert.equal(o.success, false);
    assert.match(o.error!, /timed out after 1s/);
    assert.doesNotMatch((o.output as any).stdout, /never/);
  });

  it('caps stdout and says so', async () => {
    const o = await sb.run('execute_command', { command: `head -c ${COMMAND_OUTPUT_CAP * 3} /dev/zero | tr '\\0' a` });
    assert.equal(o.success, true);
    assert.equal((o.output as any).stdout.length, COMMAND_OUTPUT_CAP);
    assert.deepEqual((o.output as any).truncated, { stdout: true, stderr: false, cap_bytes: COMMAND_OUTPUT_CAP });
  });

  it('a non-zero exit is a failure with its code and stderr', async () => {
    const o = await sb.run('execute_command', { command: 'echo oops >&2; exit 3' });
    assert.equal(o.success, false);
    assert.equal(o.error, 'Command exited with code 3');
    assert.equal((o.output as any).return_code, 3);
    assert.equal((o.output as any).stderr, 'oops\n');
  });

  it('refuses obviously destructive commands unless allow_dangerous is set', async () => {
    const o = await sb.run('execute_command', { command: 'rm -rf /' });
    assert.equal(o.success, false);
    assert.match(o.error!, /destructive/);
  });
});
