import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GatewayError } from '../../src/errors.js';
import { BundleRegistry } from '../../src/bundles/registry.js';
import type { CompiledWorkflow, VisualFlow } from '../../src/flow/types.js';
import { bundleZip, FIXTURES_DIR, flowDoc } from './zip-helpers.js';

/** Stand-in for the real compiler: keeps the (namespaced) document, cannot execute. */
const compile = (flow: VisualFlow): CompiledWorkflow => ({
  workflow_id: flow.id,
  entry_node: flow.entryNode ?? '',
  flow,
  step() {
    throw new Error('not executable in registry tests');
  },
  hasNode: (id) => flow.nodes.some((n) => n.id === id),
});

/** Fails on any flow named "broken". */
const compileUnlessBroken = (flow: VisualFlow): CompiledWorkflow => {
  if (flow.name === 'broken') throw new Error('Two data edges into node-1.value');
  return compile(flow);
};

const node = (id: string, type: string, data: object = {}) => ({ id, type, data });

describe('BundleRegistry over the real fixtures', () => {
  const registry = new BundleRegistry({ compile });
  let result: Awaited<ReturnType<BundleRegistry['loadDirectory']>>;
  before(async () => {
    result = await registry.loadDirectory(FIXTURES_DIR);
  });

  test('loads every bundle in filename order without errors', () => {
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.loaded, [
      'Untitled-Flow@draft.7dc05dbc-58d5-4175-b58f-3531f5548246',
      'basic-agent@0.0.0',
      'basic-agent@0.0.1',
      'basic-followup@dev',
      'basic-llm-test@0.0.0',
      'basic@dev',
      'coder@dev',
      'features@dev',
      'ralph@dev',
      'test@dev',
      'yoda@dev',
    ]);
    assert.equal(registry.listBundles().length, 11);
    assert.equal(registry.defaultBundleId(), undefined);
  });

  test('identity comes from the manifest; latest basic-agent is 0.0.1', () => {
    assert.equal(registry.latestVersion('basic-agent'), '0.0.1');
    assert.equal(registry.getBundle('basic-agent')!.bundle_version, '0.0.1');
    assert.equal(registry.getBundle('basic-agent', '0.0.0')!.source, join(FIXTURES_DIR, 'basic-agent.flow'));
    assert.equal(registry.latestVersion('Untitled-Flow'), 'draft.7dc05dbc-58d5-4175-b58f-3531f5548246');
    assert.equal(registry.getBundle('nope'), undefined);
  });

  test('workflow ids are versioned; legacy unversioned ids map to the latest version', () => {
    const wf = registry.getWorkflow('basic-agent@0.0.1:81795ea9')!;
    assert.equal(wf.flow.id, 'basic-agent@0.0.1:81795ea9');
    assert.equal(registry.getWorkflow('basic-agent:81795ea9'), wf);
    assert.equal(registry.getWorkflow('basic-agent@0.0.0:81795ea9')!.flow.id, 'basic-agent@0.0.0:81795ea9');
    assert.equal(registry.getWorkflow('basic-agent@9:81795ea9'), undefined);
    assert.equal(registry.getWorkflow('81795ea9'), undefined);
  });

  test('subflow references and agent ReAct ids are namespaced; raw flows stay untouched', () => {
    const ralph = registry.getWorkflow('ralph@dev:ee1a6daa')!.flow;
    assert.equal(ralph.nodes.find((n) => n.id === 'node-25')!.data.subflowId, 'ralph@dev:ee1a6daa');
    assert.equal(ralph.nodes.find((n) => n.id === 'node-3')!.data.agentConfig!._react_workflow_id, 'visual_react_agent_ralph_dev_ee1a6daa_node-3');
    assert.equal(registry.getBundle('ralph')!.flows['ee1a6daa']!.nodes.find((n) => n.id === 'node-25')!.data.subflowId, 'ee1a6daa');

    const agent = registry.getWorkflow('basic-agent@0.0.1:81795ea9')!.flow;
    // basic-agent's agent node has no agentConfig at all: one is created.
    assert.equal(agent.nodes.find((n) => n.id === 'node-2')!.data.agentConfig!._react_workflow_id, 'visual_react_agent_basic-agent_0_0_1_81795ea9_node-2');
    assert.equal(agent.nodes.find((n) => n.id === 'node-4')!.data.subflowId, 'basic-agent@0.0.1:15f19f7f');
  });

  test('test@dev and coder@dev share flow id b4c6f107 without colliding', () => {
    const a = registry.getWorkflow('test@dev:b4c6f107')!;
    const b = registry.getWorkflow('coder@dev:b4c6f107')!;
    assert.notEqual(a, b);
    assert.equal(a.flow.nodes.find((n) => n.id === 'node-3')!.data.agentConfig!._react_workflow_id, 'visual_react_agent_test_dev_b4c6f107_node-3');
    assert.equal(b.flow.nodes.find((n) => n.id === 'node-3')!.data.agentConfig!._react_workflow_id, 'visual_react_agent_coder_dev_b4c6f107_node-3');
  });

  test('resolveStart', () => {
    assert.equal(registry.resolveStart({ bundle_id: 'basic-agent' }), 'basic-agent@0.0.1:81795ea9');
    assert.equal(registry.resolveStart({ flow_id: 'ralph:ee1a6daa' }), 'ralph@dev:ee1a6daa');
    assert.equal(registry.resolveStart({ bundle_id: 'basic-agent', bundle_version: '0.0.0', flow_id: '15f19f7f' }), 'basic-agent@0.0.0:15f19f7f');
    assert.throws(() => registry.resolveStart({ flow_id: 'b4c6f107' }), (err: Error) => err instanceof GatewayError && err.status === 400);
  });
});

describe('BundleRegistry loading and lifecycle', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bundle-registry-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a bad bundle is skipped and reported, never aborting the others', async () => {
    await writeFile(join(dir, 'a-good.flow'), await bundleZip('good', '1.0.0', { root: flowDoc('root') }));
    await writeFile(join(dir, 'b-dup.flow'), await bundleZip('good', '1.0.0', { other: flowDoc('other') }));
    await writeFile(join(dir, 'c-garbage.flow'), 'not a zip');
    await writeFile(join(dir, 'd-broken.flow'), await bundleZip('broken', '1', { ok: flowDoc('ok'), bad: { ...flowDoc('bad'), name: 'broken' } }));
    await writeFile(join(dir, 'e-invalid.flow'), await bundleZip('invalid', '1', { root: flowDoc('root') }, { bundle_format_version: '9' }));
    await copyFile(join(FIXTURES_DIR, 'basic@dev.flow'), join(dir, 'f-basic.flow'));
    await writeFile(join(dir, 'notes.txt'), 'ignored: not a .flow');

    const registry = new BundleRegistry({ compile: compileUnlessBroken });
    const { loaded, errors } = await registry.loadDirectory(dir);
    assert.deepEqual(loaded, ['good@1.0.0', 'basic@dev']);
    assert.deepEqual(
      errors.map((e) => e.source.slice(dir.length + 1)),
      ['b-dup.flow', 'c-garbage.flow', 'd-broken.flow', 'e-invalid.flow'],
    );
    assert.match(errors[0]!.error, /Bundle 'good@1\.0\.0' is already loaded \(from .*a-good\.flow\)/);
    assert.match(errors[1]!.error, /Not a valid \.flow bundle \(zip\) archive/);
    assert.match(errors[2]!.error, /Bundle 'broken@1' rejected: flow 'bad' failed to compile: Two data edges/);
    assert.match(errors[3]!.error, /Unsupported bundle_format_version '9'/);
    // The first file of good@1.0.0 won, and nothing of the broken bundle was registered.
    assert.deepEqual(Object.keys(registry.getBundle('good')!.flows), ['root']);
    assert.equal(registry.getBundle('broken'), undefined);
    assert.equal(registry.getWorkflow('broken@1:ok'), undefined);
  });

  test('a missing directory is a clear error', async () => {
    const registry = new BundleRegistry({ compile });
    await assert.rejects(registry.loadDirectory(join(dir, 'missing')), (err: Error) => err instanceof GatewayError && err.code === 'GW_ERR_BAD_BUNDLE' && /Cannot read bundle directory/.test(err.message));
  });

  test('addBundle from bytes, compile rejection is all-or-nothing, duplicates refused', async () => {
    const registry = new BundleRegistry({ compile: compileUnlessBroken });
    const flows = { root: flowDoc('root', [node('n1', 'subflow', { subflowId: 'child' })]), child: flowDoc('child') };
    const added = await registry.addBundle(await bundleZip('demo', '0.0.1', flows));
    assert.equal(added.source, '<bytes>');
    assert.equal(added.workflows['root']!.flow.nodes[0]!.data.subflowId, 'demo@0.0.1:child');
    assert.equal(registry.getWorkflow('demo@0.0.1:child'), added.workflows['child']);
    assert.equal(registry.defaultBundleId(), 'demo');

    await assert.rejects(registry.addBundle(await bundleZip('demo', '0.0.1', flows)), /Bundle 'demo@0\.0\.1' is already loaded \(from <bytes>\)/);
    const broken = await bundleZip('demo', '0.0.2', { ...flows, bad: { ...flowDoc('bad'), name: 'broken' } });
    await assert.rejects(registry.addBundle(broken), (err: Error) => err instanceof GatewayError && err.code === 'GW_ERR_BAD_BUNDLE' && /flow 'bad' failed to compile/.test(err.message));
    assert.equal(registry.getBundle('demo', '0.0.2'), undefined);
    assert.equal(registry.getWorkflow('demo@0.0.2:root'), undefined);
    assert.equal(registry.latestVersion('demo'), '0.0.1');
  });

  test('versions, listing and removal', async () => {
    const registry = new BundleRegistry({ compile });
    for (const [id, version] of [['zeta', '1'], ['alpha', '0.0.2'], ['alpha', '0.0.10'], ['alpha', 'draft.x']]) {
      await registry.addBundle(await bundleZip(id!, version!, { root: flowDoc('root') }));
    }
    assert.deepEqual(
      registry.listBundles().map((b) => b.bundle_ref),
      ['alpha@0.0.10', 'alpha@0.0.2', 'alpha@draft.x', 'zeta@1'],
    );
    assert.equal(registry.latestVersion('alpha'), '0.0.10');
    assert.equal(registry.getWorkflow('alpha:root')!.flow.id, 'alpha@0.0.10:root');

    assert.equal(registry.removeBundle('alpha', '0.0.10'), 1);
    assert.equal(registry.getWorkflow('alpha@0.0.10:root'), undefined);
    assert.equal(registry.latestVersion('alpha'), '0.0.2');
    assert.equal(registry.removeBundle('alpha', 'nope'), 0);
    assert.equal(registry.removeBundle('alpha'), 2);
    assert.equal(registry.getWorkflow('alpha@draft.x:root'), undefined);
    assert.equal(registry.removeBundle('alpha'), 0);
    assert.equal(registry.defaultBundleId(), 'zeta');
    assert.deepEqual(registry.listBundles().map((b) => b.bundle_ref), ['zeta@1']);
  });
});
