import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseManifest, type Manifest } from '../../src/bundles/manifest.js';
import {
  isDraftVersion,
  parseNamespacedId,
  pickLatestVersion,
  requestedVersion,
  resolveBundle,
  resolveFlow,
  resolveStart,
  splitBundleRef,
  type BundleCatalog,
} from '../../src/bundles/versions.js';
import { GatewayError } from '../../src/errors.js';

/** A catalog over in-memory manifests `{id, version, flows, entrypoints?}`. */
function catalog(specs: { id: string; version: string; flows: string[]; entrypoints?: string[]; default_entrypoint?: string }[]): BundleCatalog {
  const manifests: Manifest[] = specs.map((s) =>
    parseManifest({
      bundle_format_version: '1',
      bundle_id: s.id,
      bundle_version: s.version,
      entrypoints: (s.entrypoints ?? [s.flows[0]]).map((flow_id) => ({ flow_id })),
      default_entrypoint: s.default_entrypoint,
      flows: Object.fromEntries(s.flows.map((f) => [f, `flows/${f}.json`])),
    }),
  );
  const ofId = (id: string) => manifests.filter((m) => m.bundle_id === id);
  return {
    latestVersion: (id) => pickLatestVersion(ofId(id).map((m) => ({ version: m.bundle_version, created_at: m.created_at }))),
    manifest: (id, version) => ofId(id).find((m) => m.bundle_version === version),
    defaultBundleId: () => {
      const ids = new Set(manifests.map((m) => m.bundle_id));
      return ids.size === 1 ? [...ids][0] : undefined;
    },
  };
}

const fails = (fn: () => unknown, status: 400 | 404, message: string) =>
  assert.throws(fn, (err: Error) => err instanceof GatewayError && err.status === status && err.message === message);

describe('refs and ids', () => {
  test('splitBundleRef splits on the first @ and drops blank parts', () => {
    assert.deepEqual(splitBundleRef('basic-agent'), { bundleId: 'basic-agent' });
    assert.deepEqual(splitBundleRef(' basic-agent@0.0.1 '), { bundleId: 'basic-agent', version: '0.0.1' });
    assert.deepEqual(splitBundleRef('x@draft.1@2'), { bundleId: 'x', version: 'draft.1@2' });
    assert.deepEqual(splitBundleRef('x@'), { bundleId: 'x' });
    assert.deepEqual(splitBundleRef('@1'), { bundleId: '' });
  });

  test('parseNamespacedId splits on the first colon', () => {
    assert.deepEqual(parseNamespacedId('ralph@dev:ee1a6daa'), { bundleId: 'ralph', version: 'dev', flowId: 'ee1a6daa' });
    assert.deepEqual(parseNamespacedId('basic:06af7170'), { bundleId: 'basic', flowId: '06af7170' });
    assert.deepEqual(parseNamespacedId('scheduled:a:b'), { bundleId: 'scheduled', flowId: 'a:b' });
    assert.equal(parseNamespacedId('06af7170'), undefined);
  });

  test('isDraftVersion is case-insensitive on the draft. prefix', () => {
    assert.ok(isDraftVersion('draft.7dc05dbc'));
    assert.ok(isDraftVersion('DRAFT.x'));
    assert.ok(!isDraftVersion('drafty'));
    assert.ok(!isDraftVersion('0.0.1'));
  });
});

describe('pickLatestVersion', () => {
  const v = (version: string, created_at = '') => ({ version, created_at });

  test('dotted integers compare numerically, missing parts are 0', () => {
    assert.equal(pickLatestVersion([v('0.0.0'), v('0.0.1')]), '0.0.1');
    assert.equal(pickLatestVersion([v('1.10'), v('1.9.9')]), '1.10');
    assert.equal(pickLatestVersion([v('2'), v('1.99.99')]), '2');
    assert.equal(pickLatestVersion([v('1'), v('1.0.0')]), '1', 'ties keep the first');
  });

  test('otherwise the greatest (created_at, version) wins', () => {
    assert.equal(pickLatestVersion([v('dev', '2026-02-01'), v('0.0.1', '2026-01-01')]), 'dev');
    assert.equal(pickLatestVersion([v('b', '2026-01-01'), v('a', '2026-01-01')]), 'b');
  });

  test('drafts are ignored while a published version exists', () => {
    const versions = [v('draft.abc', '2026-09-01'), v('0.0.1', '2026-01-01')];
    assert.equal(pickLatestVersion(versions), '0.0.1');
    assert.equal(pickLatestVersion(versions, { preferPublished: false }), 'draft.abc');
    assert.equal(pickLatestVersion([v('draft.a', '2026-01-01'), v('draft.b', '2026-02-01')]), 'draft.b');
    assert.equal(pickLatestVersion([]), undefined);
  });
});

describe('resolveStart', () => {
  const cat = catalog([
    { id: 'basic-agent', version: '0.0.0', flows: ['81795ea9', '15f19f7f'] },
    { id: 'basic-agent', version: '0.0.1', flows: ['81795ea9', '15f19f7f'] },
    { id: 'multi', version: '1', flows: ['a', 'b'], entrypoints: ['a', 'b'] },
    { id: 'multi-default', version: '1', flows: ['a', 'b'], entrypoints: ['a', 'b'], default_entrypoint: 'b' },
  ]);

  test('bundle without flow_id starts its only entrypoint, else the default one', () => {
    assert.equal(resolveStart(cat, { bundle_id: 'basic-agent' }), 'basic-agent@0.0.1:81795ea9');
    assert.equal(resolveStart(cat, { bundle_id: 'basic-agent@0.0.0' }), 'basic-agent@0.0.0:81795ea9');
    assert.equal(resolveStart(cat, { bundle_id: 'basic-agent', bundle_version: '0.0.0', flow_id: ' ' }), 'basic-agent@0.0.0:81795ea9');
    assert.equal(resolveStart(cat, { bundle_id: 'multi-default' }), 'multi-default@1:b');
    fails(() => resolveStart(cat, { bundle_id: 'multi' }), 400, "Bundle 'multi@1' has 2 entrypoints; specify flow_id to select which entrypoint to start (or set manifest.default_entrypoint)");
  });

  test('plain, namespaced and versioned flow ids; any flow (not only entrypoints) starts', () => {
    assert.equal(resolveStart(cat, { bundle_id: 'basic-agent', flow_id: '15f19f7f' }), 'basic-agent@0.0.1:15f19f7f');
    assert.equal(resolveStart(cat, { flow_id: 'basic-agent:81795ea9' }), 'basic-agent@0.0.1:81795ea9');
    assert.equal(resolveStart(cat, { flow_id: 'basic-agent@0.0.0:81795ea9' }), 'basic-agent@0.0.0:81795ea9');
    assert.equal(resolveStart(cat, { bundle_id: 'basic-agent', flow_id: 'basic-agent:81795ea9', bundle_version: '0.0.0' }), 'basic-agent@0.0.0:81795ea9');
    assert.equal(resolveStart(cat, { bundle_id: 'basic-agent@0.0.0', flow_id: 'basic-agent@0.0.0:81795ea9' }), 'basic-agent@0.0.0:81795ea9');
  });

  test('ids whose prefix is not a loaded bundle are taken verbatim', () => {
    assert.equal(resolveStart(cat, { flow_id: 'scheduled:3f1c' }), 'scheduled:3f1c');
    fails(
      () => resolveStart(cat, { flow_id: 'scheduled:3f1c', bundle_id: 'basic-agent' }),
      400,
      "flow_id 'scheduled:3f1c' is already namespaced, but bundle_id/bundle_version was also provided",
    );
    fails(() => resolveStart(cat, { flow_id: 'scheduled:3f1c', bundle_version: '1' }), 400, "flow_id 'scheduled:3f1c' is already namespaced, but bundle_id/bundle_version was also provided");
  });

  test('version conflicts (core-api §2.3 messages)', () => {
    fails(() => resolveStart(cat, { bundle_id: 'basic-agent@0.0.1', bundle_version: '0.0.0' }), 400, "bundle_version conflicts with bundle_id (bundle_id already includes '@version')");
    fails(() => resolveStart(cat, { flow_id: 'basic-agent@0.0.1:81795ea9', bundle_version: '0.0.0' }), 400, 'flow_id version does not match bundle_version');
    fails(() => resolveStart(cat, { flow_id: 'basic-agent@0.0.1:81795ea9', bundle_id: 'basic-agent@0.0.0' }), 400, 'flow_id version does not match bundle_id');
    fails(() => resolveStart(cat, { flow_id: 'basic-agent:81795ea9', bundle_id: 'multi' }), 400, 'flow_id bundle prefix does not match bundle_id');
  });

  test('missing selections and unknown bundles, versions, flows', () => {
    fails(() => resolveStart(cat, {}), 400, 'flow_id is required (or provide bundle_id to start a bundle entrypoint)');
    fails(() => resolveStart(cat, { flow_id: '81795ea9' }), 400, "bundle_id is required when multiple bundles are loaded (or pass flow_id as 'bundle:flow')");
    fails(() => resolveStart(cat, { bundle_id: 'nope' }), 404, "Bundle 'nope' not found");
    fails(() => resolveStart(cat, { bundle_id: 'basic-agent', bundle_version: '9.9.9' }), 404, "Bundle 'basic-agent@9.9.9' not found");
    fails(() => resolveStart(cat, { bundle_id: 'basic-agent', flow_id: 'nope' }), 404, "Workflow 'basic-agent@0.0.1:nope' not found");
    fails(() => resolveStart(cat, { flow_id: 'basic-agent@0.0.0:nope' }), 404, "Workflow 'basic-agent@0.0.0:nope' not found");
  });

  test('the only loaded bundle is the default bundle', () => {
    const single = catalog([{ id: 'basic', version: 'dev', flows: ['06af7170'] }]);
    assert.equal(resolveStart(single, { flow_id: '06af7170' }), 'basic@dev:06af7170');
    assert.equal(resolveStart(single, { bundle_version: 'dev', flow_id: '06af7170' }), 'basic@dev:06af7170');
  });

  test('requestedVersion (draft gate) follows the same precedence', () => {
    assert.equal(requestedVersion({ bundle_id: 'x@draft.1' }), 'draft.1');
    assert.equal(requestedVersion({ flow_id: 'x@draft.2:f' }), 'draft.2');
    assert.equal(requestedVersion({ bundle_id: 'x', bundle_version: 'draft.3' }), 'draft.3');
    assert.equal(requestedVersion({ bundle_id: 'x', flow_id: 'f' }), undefined);
  });
});

describe('bundle and flow routes resolution', () => {
  const cat = catalog([
    { id: 'demo', version: '0.0.1', flows: ['root', 'child'] },
    { id: 'demo', version: '0.0.2', flows: ['root'] },
  ]);

  test('resolveBundle', () => {
    assert.equal(resolveBundle(cat, 'demo').bundle_version, '0.0.2');
    assert.equal(resolveBundle(cat, 'demo@0.0.1').bundle_version, '0.0.1');
    assert.equal(resolveBundle(cat, 'demo', '0.0.1').bundle_version, '0.0.1');
    fails(() => resolveBundle(cat, ' '), 400, 'bundle_id is required');
    fails(() => resolveBundle(cat, 'demo@0.0.1', '0.0.2'), 400, "bundle_version conflicts with bundle_id (bundle_id already includes '@version')");
    fails(() => resolveBundle(cat, 'other'), 404, "Bundle 'other' not found");
  });

  test('resolveFlow', () => {
    assert.deepEqual(
      { ...resolveFlow(cat, { bundle_id: 'demo', flow_id: 'demo@0.0.1:child' }), manifest: undefined },
      { manifest: undefined, flowId: 'child', workflowId: 'demo@0.0.1:child' },
    );
    assert.equal(resolveFlow(cat, { bundle_id: 'demo', flow_id: 'root' }).workflowId, 'demo@0.0.2:root');
    fails(() => resolveFlow(cat, { bundle_id: 'demo', flow_id: '' }), 400, 'flow_id is required');
    fails(() => resolveFlow(cat, { bundle_id: 'demo', flow_id: 'demo:' }), 400, 'Invalid flow_id');
    fails(() => resolveFlow(cat, { bundle_id: 'demo', flow_id: 'x:root' }), 400, 'flow_id bundle prefix does not match bundle_id');
    fails(() => resolveFlow(cat, { bundle_id: 'demo@0.0.1', flow_id: 'root', bundle_version: '0.0.2' }), 400, 'bundle_id version does not match bundle_version');
    fails(() => resolveFlow(cat, { bundle_id: 'demo', flow_id: 'demo@0.0.1:root', bundle_version: '0.0.2' }), 400, 'flow_id version does not match bundle_version');
    fails(() => resolveFlow(cat, { bundle_id: 'demo@0.0.2', flow_id: 'demo@0.0.1:root' }), 400, 'flow_id version does not match bundle_id');
    fails(() => resolveFlow(cat, { bundle_id: 'demo', flow_id: 'child' }), 404, "Flow 'child' not found in bundle 'demo@0.0.2'");
  });
});
