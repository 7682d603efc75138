// Every file tool, confined to the run's workspace (spec runtime-visualflow §7.6): `../`,
// absolute paths and symlinks planted inside the workspace never reach the outside folder.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { assertRefused, makeSandbox, SECRET, type Sandbox } from './kit.js';
import { scopeArguments } from '../../src/tools/index.js';

describe('file tools stay inside the workspace', () => {
  let sb: Sandbox;
  before(async () => (sb = await makeSandbox()));
  after(() => sb.close());

  const escapes = () => ({
    parent: '../outside/secret.txt',
    absolute: join(sb.outside, 'secret.txt'),
    linkedDir: 'link-out/secret.txt',
    linkedFile: 'secret-link.txt',
  });

  it('read_file reads inside and refuses ../, absolute and symlinked paths', async () => {
    const ok = await sb.run('read_file', { file_path: 'notes.txt' });
    assert.equal(ok.success, true);
    assert.match(String(ok.output), /2: beta needle/);
    for (const [label, p] of Object.entries(escapes())) {
      const o = await sb.run('read_file', { file_path: p });
      assertRefused(o, `read_file ${label}`);
      assert.ok(!JSON.stringify(o).includes(SECRET), `read_file ${label} leaked the secret`);
    }
    assertRefused(await sb.run('read_file', { path: '/etc/passwd' }), 'read_file alias path');
  });

  it('write_file writes inside (creating folders) and refuses every escape without touching the outside', async () => {
    const ok = await sb.run('write_file', { file_path: 'out/deep/a.txt', content: 'hello' });
    assert.equal(ok.success, true, JSON.stringify(ok));
    assert.equal(readFileSync(join(sb.ws, 'out/deep/a.txt'), 'utf8'), 'hello');
    const targets = { ...escapes(), newParent: '../outside/new.txt', newAbsolute: join(sb.outside, 'new2.txt'), newLinked: 'link-out/new3.txt' };
    for (const [label, p] of Object.entries(targets)) assertRefused(await sb.run('write_file', { file_path: p, content: 'pwned' }), `write_file ${label}`);
    assert.equal(readFileSync(join(sb.outside, 'secret.txt'), 'utf8'), `${SECRET}\n`);
    for (const f of ['new.txt', 'new2.txt', 'new3.txt']) assert.equal(existsSync(join(sb.outside, f)), false, f);
    assert.equal(readlinkSync(join(sb.ws, 'secret-link.txt')), join(sb.outside, 'secret.txt'), 'the link itself is left alone');
  });

  it('list_files lists inside, refuses escapes and does not descend into a symlinked folder', async () => {
    const top = await sb.run('list_files', { directory_path: '.', head_limit: 50 });
    assert.match(String(top.output), /link-out \(symlink\)/);
    const all = await sb.run('list_files', { directory_path: '.', recursive: true, head_limit: 500 });
    assert.match(String(all.output), /src\/main\.py/);
    assert.doesNotMatch(String(all.output), /secret\.txt(?!.*symlink)/);
    for (const p of ['..', sb.outside, 'link-out', '/']) assertRefused(await sb.run('list_files', { directory_path: p }), `list_files ${p}`);
  });

  it('skim_folders refuses escapes', async () => {
    const ok = await sb.run('skim_folders', { paths: ['.'] });
    assert.match(String(ok.output), /main\.py/);
    for (const p of ['..', sb.outside, 'link-out']) assertRefused(await sb.run('skim_folders', { paths: [p] }), `skim_folders ${p}`);
    assertRefused(await sb.run('skim_folders', { paths: ['.', '../outside'] }), 'skim_folders mixed');
  });

  it('search_files finds inside, refuses escapes, and never reads through a link', async () => {
    const ok = await sb.run('search_files', { pattern: 'NEEDLE' });
    assert.match(String(ok.output), /notes\.txt\n\s+2: beta needle/);
    assert.match(String(ok.output), /src\/main\.py/);
    const secret = await sb.run('search_files', { pattern: 'TOPSECRET' });
    assert.match(String(secret.output), /No matches/);
    for (const p of ['..', join(sb.outside, 'secret.txt'), 'link-out', 'secret-link.txt']) {
      assertRefused(await sb.run('search_files', { pattern: 'TOPSECRET', path: p }), `search_files ${p}`);
    }
  });

  it('execute_command refuses a working directory outside the workspace', async () => {
    for (const p of ['..', sb.outside, 'link-out']) assertRefused(await sb.run('execute_command', { command: 'pwd', working_directory: p }), `execute_command ${p}`);
  });

  it('ignored paths are refused even inside the workspace', async () => {
    const o = await sb.run('read_file', { file_path: 'src/main.py' }, { workspace_ignored_paths: 'src' });
    assertRefused(o, 'ignored');
    const listed = await sb.run('list_files', { recursive: true, head_limit: 100 }, { workspace_ignored_paths: ['src'] });
    assert.match(String(listed.output), /notes\.txt/);
    assert.doesNotMatch(String(listed.output), /main\.py/);
  });

  it('workspace_or_allowed opens the allowed paths, and only in that mode', async () => {
    const vars = { workspace_access_mode: 'workspace_or_allowed', workspace_allowed_paths: [sb.outside] };
    assert.equal((await sb.run('read_file', { file_path: join(sb.outside, 'secret.txt') }, vars)).success, true);
    assertRefused(await sb.run('read_file', { file_path: join(sb.outside, 'secret.txt') }, { workspace_allowed_paths: [sb.outside] }), 'allowed path in workspace_only');
  });

  it('without a workspace_root every file and command tool is refused', async () => {
    const { WorkspaceScope, runHostTool } = await import('../../src/tools/index.js');
    const o = await runHostTool('read_file', { file_path: join(sb.ws, 'notes.txt') }, { workspace: WorkspaceScope.fromVars({}), signal: new AbortController().signal });
    assert.equal(o.success, false);
    assert.match(o.error!, /no workspace/);
  });

  it('scoping before execution rewrites paths to absolute ones and refuses escapes with the reason', async () => {
    const ok = await scopeArguments('write_file', { path: 'x/y.txt', content: 'c' }, sb.scope());
    assert.deepEqual(ok, { args: { file_path: join(sb.ws, 'x/y.txt'), content: 'c' } });
    const bad = await scopeArguments('read_file', { file_path: 'secret-link.txt' }, sb.scope());
    assert.ok('error' in bad && /symbolic link/.test(bad.error), JSON.stringify(bad));
  });
});
