import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DEFAULT_BUNDLE_LIMITS, readBundle } from '../../src/bundles/archive.js';
import { GatewayError } from '../../src/errors.js';
import { isSafeRelPath, parseManifest } from '../../src/bundles/manifest.js';
import { buildZip, bundleZip, FIXTURES_DIR, flowDoc, manifestFor, renameEntry, setDeclaredSize } from './zip-helpers.js';

const MiB = 1024 * 1024;
const validManifest = (overrides: object = {}) => manifestFor('demo', '0.0.1', ['root'], overrides);
const manifestZip = (manifest: object) =>
  buildZip([
    { name: 'manifest.json', data: JSON.stringify(manifest) },
    { name: 'flows/root.json', data: JSON.stringify(flowDoc('root')) },
  ]);
const isBundleError = (err: unknown) => err instanceof GatewayError && err.code === 'GW_ERR_BAD_BUNDLE';
const rejectsWith = (p: Promise<unknown>, re: RegExp) => assert.rejects(p, (err: Error) => isBundleError(err) && re.test(err.message));

describe('readBundle: real fixtures', () => {
  test('every shipped bundle reads, with raw (not namespaced) flows', async () => {
    const files = (await readdir(FIXTURES_DIR)).filter((f) => f.endsWith('.flow'));
    assert.equal(files.length, 11);
    for (const file of files) {
      const b = await readBundle(join(FIXTURES_DIR, file));
      assert.ok(b.manifest.bundle_id, file);
      for (const [flowId, flow] of Object.entries(b.flows)) assert.equal(flow.id, flowId, file);
    }
  });

  test('basic-agent.flow is 0.0.0 with two flows; bytes and path read the same', async () => {
    const path = join(FIXTURES_DIR, 'basic-agent.flow');
    const fromPath = await readBundle(path);
    assert.equal(fromPath.manifest.bundle_version, '0.0.0');
    assert.deepEqual(Object.keys(fromPath.flows).sort(), ['15f19f7f', '81795ea9']);
    assert.deepEqual(fromPath.manifest.entrypoints, [{ flow_id: '81795ea9', name: 'basic-agent', description: '', interfaces: ['abstractcode.agent.v1'] }]);
    assert.deepEqual(await readBundle(await readFile(path)), fromPath);
  });

  test('ralph keeps its raw self-reference (namespacing happens later)', async () => {
    const { flows } = await readBundle(join(FIXTURES_DIR, 'ralph@dev.flow'));
    const sub = flows['ee1a6daa']!.nodes.find((n) => n.type === 'subflow')!;
    assert.equal(sub.data.subflowId, 'ee1a6daa');
  });
});

describe('readBundle: unpacked directory', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  async function unpacked(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'bundle-dir-'));
    dirs.push(dir);
    for (const [rel, data] of Object.entries(files)) {
      await mkdir(dirname(join(dir, rel)), { recursive: true });
      await writeFile(join(dir, rel), data);
    }
    return dir;
  }

  test('reads manifest, flows and assets', async () => {
    const dir = await unpacked({
      'manifest.json': JSON.stringify(validManifest({ assets: { logo: 'assets/logo.txt' } })),
      'flows/root.json': JSON.stringify(flowDoc('root')),
      'assets/logo.txt': 'hello',
    });
    const b = await readBundle(dir);
    assert.equal(b.manifest.bundle_id, 'demo');
    assert.deepEqual(b.flows['root'], flowDoc('root'));
    assert.equal(b.assets['logo']!.toString(), 'hello');
  });

  test('rejects symlinks and enforces limits', async () => {
    const dir = await unpacked({ 'manifest.json': JSON.stringify(validManifest()), 'flows/root.json': JSON.stringify(flowDoc('root')) });
    await rejectsWith(readBundle(dir, { maxEntryBytes: 10 }), /too large/);
    await rejectsWith(readBundle(dir, { maxEntries: 2 }), /too many entries/);
    await symlink('/etc/passwd', join(dir, 'flows', 'link.json'));
    await rejectsWith(readBundle(dir), /'flows\/link\.json' is a symbolic link/);
  });
});

describe('readBundle: hostile archives', () => {
  test('zip-slip, absolute, drive-prefixed and backslash names are refused', async () => {
    const cases: [string, string][] = [
      ['XX/evil.json', '../evil.json'],
      ['flows/XX/a.json', 'flows/../a.json'],
      ['Xetc/passwd', '/etc/passwd'],
      ['CX/win.json', 'C:/win.json'],
      ['flowsXa.json', 'flows\\a.json'],
      ['flows/X/a.json', 'flows/./a.json'],
    ];
    for (const [placeholder, hostile] of cases) {
      const zip = renameEntry(await bundleZip('demo', '1', { root: flowDoc('root') }, {}, [{ name: placeholder, data: 'x' }]), placeholder, hostile);
      await rejectsWith(readBundle(zip), /unsafe entry path/);
    }
  });

  test('duplicate entry names are refused', async () => {
    const manifest = JSON.stringify(validManifest());
    const zip = await buildZip([
      { name: 'manifest.json', data: manifest },
      { name: 'manifest.json', data: manifest },
      { name: 'flows/root.json', data: JSON.stringify(flowDoc('root')) },
    ]);
    await rejectsWith(readBundle(zip), /duplicate entry 'manifest\.json'/);
  });

  test('symlink entries are refused', async () => {
    const zip = await bundleZip('demo', '1', { root: flowDoc('root') }, {}, [{ name: 'assets/link', data: '/etc/passwd', mode: 0o120777 }]);
    await rejectsWith(readBundle(zip), /'assets\/link' is a symbolic link/);
  });

  test('too many entries (default limit) are refused before reading', async () => {
    const entries = Array.from({ length: DEFAULT_BUNDLE_LIMITS.maxEntries + 1 }, (_, i) => ({ name: `assets/${i}`, data: '', compress: false }));
    await rejectsWith(readBundle(await buildZip(entries)), /too many entries: 2001 \(limit 2000\)/);
  });

  test('an entry over the size limit is refused from its header', async () => {
    const zip = await bundleZip('demo', '1', { root: flowDoc('root') }, {}, [{ name: 'assets/big', data: Buffer.alloc(5000, 'x'), compress: false }]);
    await rejectsWith(readBundle(zip, { maxEntryBytes: 4096 }), /'assets\/big' is too large: 5000 bytes uncompressed \(limit 4096\)/);
  });

  test('a highly compressible entry is refused by the ratio limit', async () => {
    const zip = await bundleZip('demo', '1', { root: flowDoc('root') }, {}, [{ name: 'assets/zeros', data: Buffer.alloc(2 * MiB) }]);
    await rejectsWith(readBundle(zip), /'assets\/zeros' expands \d+x \(limit 100x\); refusing a possible zip bomb/);
  });

  test('the total uncompressed size is limited', async () => {
    const zip = await bundleZip('demo', '1', { root: flowDoc('root') }, {}, [{ name: 'assets/a', data: Buffer.alloc(4000), compress: false }]);
    await rejectsWith(readBundle(zip, { maxTotalBytes: 3000 }), /too large once uncompressed/);
  });

  test('a header that understates the size is caught while inflating', async () => {
    const padded = { ...flowDoc('root'), pad: ' '.repeat(2 * MiB) };
    const zip = setDeclaredSize(await bundleZip('demo', '1', { root: padded }), 'flows/root.json', 1000);
    await rejectsWith(readBundle(zip), /'flows\/root\.json' inflates beyond its declared size/);
  });

  test('archive size limit, non-zip input and corrupted data', async () => {
    const zip = await bundleZip('demo', '1', { root: flowDoc('root') });
    await rejectsWith(readBundle(zip, { maxArchiveBytes: 100 }), /archive is too large/);
    await rejectsWith(readBundle(Buffer.from('definitely not a zip')), /Not a valid \.flow bundle \(zip\) archive/);
    const flowJson = JSON.stringify({ ...flowDoc('root'), text: 'abcdefghij'.repeat(50) });
    const stored = await buildZip([
      { name: 'manifest.json', data: JSON.stringify(validManifest()) },
      { name: 'flows/root.json', data: flowJson, compress: false },
    ]);
    const corrupted = renameEntry(stored, 'abcdefghij', 'abcdefghiJ');
    await rejectsWith(readBundle(corrupted), /'flows\/root\.json' is corrupt/);
  });
});

describe('readBundle: invalid contents', () => {
  test('missing manifest, bad JSON, missing or non-VisualFlow flow files', async () => {
    await rejectsWith(readBundle(await buildZip([{ name: 'flows/root.json', data: '{}' }])), /manifest\.json is missing/);
    await rejectsWith(readBundle(await buildZip([{ name: 'manifest.json', data: '{nope' }])), /manifest\.json is not valid UTF-8 JSON/);
    const noFlowFile = await buildZip([{ name: 'manifest.json', data: JSON.stringify(validManifest()) }]);
    await rejectsWith(readBundle(noFlowFile), /manifest\.flows\['root'\] points to 'flows\/root\.json', which is not in the bundle/);
    const notAFlow = await buildZip([
      { name: 'manifest.json', data: JSON.stringify(validManifest()) },
      { name: 'flows/root.json', data: '[1, 2]' },
    ]);
    await rejectsWith(readBundle(notAFlow), /flows\/root\.json is not a VisualFlow document/);
  });

  test('manifest rule violations surface as GW_ERR_BAD_BUNDLE', async () => {
    await rejectsWith(readBundle(await manifestZip(validManifest({ bundle_format_version: '2' }))), /Unsupported bundle_format_version '2'/);
    await rejectsWith(readBundle(await manifestZip(validManifest({ flows: { root: '../root.json' } }))), /manifest\.flows\['root'\] has unsafe path/);
    await rejectsWith(readBundle(await manifestZip(validManifest({ assets: { a: 'assets/missing.png' } }))), /manifest\.assets\['a'\] points to/);
  });
});

describe('parseManifest', () => {
  const fails = (raw: unknown, re: RegExp) => assert.throws(() => parseManifest(raw), (err: Error) => isBundleError(err) && re.test(err.message));

  test('normalizes a snake_case manifest with defaults', () => {
    const m = parseManifest({ bundle_format_version: '1', bundle_id: 'demo', entrypoints: [{ flow_id: 'a' }], flows: { a: 'flows/a.json' } });
    assert.deepEqual(m, {
      bundle_format_version: '1',
      bundle_id: 'demo',
      bundle_version: '0.0.0',
      created_at: '',
      entrypoints: [{ flow_id: 'a', name: null, description: '', interfaces: [] }],
      default_entrypoint: null,
      flows: { a: 'flows/a.json' },
      artifacts: {},
      assets: {},
      metadata: {},
    });
  });

  test('accepts camelCase aliases', () => {
    const m = parseManifest({
      bundleFormatVersion: '1',
      bundleId: 'demo',
      bundleVersion: '1.2.3',
      createdAt: '2026-01-01',
      defaultEntrypointFlowId: 'b',
      entrypoints: [{ flowId: 'a' }, { flowId: 'b', interfaces: ['x', 3, ''] }],
      flows: { a: 'flows/a.json', b: 'flows/b.json' },
    });
    assert.equal(m.bundle_id, 'demo');
    assert.equal(m.bundle_version, '1.2.3');
    assert.equal(m.created_at, '2026-01-01');
    assert.equal(m.default_entrypoint, 'b');
    assert.deepEqual(m.entrypoints[1]!.interfaces, ['x']);
  });

  test('rejects each invalid variant with an actionable message', () => {
    fails([], /manifest\.json must be a JSON object/);
    fails(validManifest({ bundle_format_version: undefined }), /Unsupported bundle_format_version ''/);
    fails(validManifest({ bundle_id: '' }), /bundle_id '' is invalid/);
    fails(validManifest({ bundle_id: 'a@b' }), /bundle_id 'a@b' is invalid/);
    fails(validManifest({ bundle_id: 'a:b' }), /bundle_id 'a:b' is invalid/);
    fails(validManifest({ bundle_version: 'x/y' }), /bundle_version 'x\/y' is invalid/);
    fails(validManifest({ bundle_id: 42 }), /'bundle_id' must be a string/);
    fails(validManifest({ entrypoints: [] }), /entrypoints must be a non-empty list/);
    fails(validManifest({ entrypoints: [{ flow_id: '' }] }), /entrypoints\[0\]\.flow_id must be a non-empty string/);
    fails(validManifest({ entrypoints: [{ flow_id: 'root' }, { flowId: 'root' }] }), /Duplicate entrypoint flow_id 'root'/);
    fails(validManifest({ entrypoints: [{ flow_id: 'other' }] }), /entrypoint 'other' is not listed in manifest\.flows/);
    fails(validManifest({ default_entrypoint: 'nope' }), /default_entrypoint 'nope' must match an entrypoint flow_id/);
    fails(validManifest({ flows: {} }), /manifest\.flows is empty/);
    fails(validManifest({ flows: ['flows/root.json'] }), /manifest\.flows must be an object/);
    fails(validManifest({ flows: { root: 'C:/root.json' } }), /unsafe path/);
    fails(validManifest({ assets: { x: '/etc/passwd' } }), /manifest\.assets\['x'\] has unsafe path/);
    fails(validManifest({ artifacts: { x: 'a/../../b' } }), /manifest\.artifacts\['x'\] has unsafe path/);
    fails(validManifest({ metadata: 'nope' }), /manifest\.metadata must be an object/);
  });

  test('isSafeRelPath', () => {
    for (const ok of ['manifest.json', 'flows/a.json', 'assets/img/x.png', 'a..b/c']) assert.ok(isSafeRelPath(ok), ok);
    for (const bad of ['', '/abs', '\\abs', 'a\\b', 'C:x', 'c:/x', '..', '../x', 'a/../b', './a', 'a/./b', 'a//b', 'a/', 'a\u0000b']) {
      assert.ok(!isSafeRelPath(bad), bad);
    }
  });
});
