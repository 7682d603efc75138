import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBundle } from '../../src/bundles/archive.js';
import { CompileError, compileFlow } from '../../src/flow/compiler.js';
import { data, drive, exec, flowOf, pure, wire } from './flowkit.js';

const start = (outputs: string[] = []) => exec('start', 'on_flow_start', { entry: true, outputs });
const end = (inputs: string[] = []) => exec('end', 'on_flow_end', { inputs, execOuts: [] });
const rejects = (flow: Parameters<typeof compileFlow>[0], pattern: RegExp) => assert.throws(() => compileFlow(flow), (e: any) => e instanceof CompileError && pattern.test(e.message));

describe('compileFlow: parsing and entry', () => {
  it('normalizes NodeType.X types and drops edges with empty handles', () => {
    const flow = flowOf([{ ...start(), type: 'NodeType.ON_FLOW_START' }, end()], [wire('start', 'end'), data('start', '', 'end', 'x')]);
    const wf = compileFlow(flow);
    assert.equal(wf.entry_node, 'start');
    assert.deepEqual(drive(wf).output, { success: true });
  });

  it('prefers entryNode, then the option override (listener workflows)', () => {
    const flow = flowOf([exec('a', 'on_flow_start', { entry: true }), exec('b', 'on_flow_start', { entry: true })], [], { entryNode: 'b' });
    assert.equal(compileFlow(flow).entry_node, 'b');
    assert.equal(compileFlow(flow, { entryNode: 'a', workflowId: 'w:a' }).entry_node, 'a');
    assert.equal(compileFlow(flow, { workflowId: 'w:a' }).workflow_id, 'w:a');
  });

  it('discards unreachable exec nodes, even of unknown type', () => {
    const flow = flowOf([start(), end(), exec('island', 'teleport'), exec('island2', 'code')], [wire('start', 'end'), wire('island', 'island2')]);
    const wf = compileFlow(flow);
    assert.equal(wf.hasNode('island'), false);
    assert.equal(wf.hasNode('end'), true);
  });
});

describe('compileFlow: multi-entry lowering', () => {
  it('inserts a join_exec in front of a node with two incoming exec edges (entryRoutes order)', () => {
    const nodes = [
      start(['flag']),
      exec('if', 'if', { inputs: ['condition'], execOuts: ['true', 'false'] }),
      exec('target', 'on_flow_end', { execOuts: [], entryRoutes: [{ key: 'f', sourceNodeId: 'if', sourceHandle: 'false' }, { key: 't', sourceNodeId: 'if', sourceHandle: 'true' }] }),
    ];
    const edges = [wire('start', 'if'), data('start', 'flag', 'if', 'condition'), wire('if', 'target', 'true'), wire('if', 'target', 'false')];
    const wf = compileFlow(flowOf(nodes, edges));
    assert.ok(wf.hasNode('__internal_join_exec__target'));
    const joinOutput = (flag: boolean) => drive(wf, { flag }).run.vars._temp.node_outputs.__internal_join_exec__target;
    assert.deepEqual(joinOutput(true), { which: 1, from: 'if', from_handle: 'true' });
    assert.deepEqual(joinOutput(false), { which: 0, from: 'if', from_handle: 'false' });
  });

  it('inserts a path_mux for inputRouteOverrides so the taken route picks the value', () => {
    const nodes = [
      start(['flag', 'first', 'second']),
      exec('if', 'if', { inputs: ['condition'], execOuts: ['true', 'false'] }),
      exec('target', 'on_flow_end', {
        inputs: ['value'],
        execOuts: [],
        pinDefaults: { value: 'default' },
        inputRouteOverrides: { value: { 'if::true': { sourceNodeId: 'start', sourceHandle: 'first' } } },
      }),
    ];
    const edges = [wire('start', 'if'), data('start', 'flag', 'if', 'condition'), wire('if', 'target', 'true'), wire('if', 'target', 'false')];
    const wf = compileFlow(flowOf(nodes, edges));
    assert.deepEqual(drive(wf, { flag: true, first: 'A' }).output, { value: 'A', success: true });
    assert.deepEqual(drive(wf, { flag: false, first: 'A' }).output, { value: 'default', success: true });
  });

  it('rejects entryRoutes that do not match the incoming edges', () => {
    const nodes = [start(), exec('if', 'if', { execOuts: ['true', 'false'] }), exec('t', 'on_flow_end', { execOuts: [], entryRoutes: [{ key: 'x', sourceNodeId: 'ghost', sourceHandle: 'exec-out' }] })];
    rejects(flowOf(nodes, [wire('start', 'if'), wire('if', 't', 'true'), wire('if', 't', 'false')]), /entryRoutes mismatch/);
  });
});

describe('compileFlow: errors', () => {
  it('rejects a reachable exec node of unknown type', () => {
    rejects(flowOf([start(), exec('x', 'teleport')], [wire('start', 'x')]), /unknown exec node type 'teleport'/);
  });

  it('rejects reachable code/function nodes', () => {
    rejects(flowOf([start(), exec('c', 'code')], [wire('start', 'c')]), /not supported in the TypeScript runtime/);
    rejects(flowOf([start(), exec('c', 'NodeType.FUNCTION')], [wire('start', 'c')]), /'function' nodes are not supported/);
  });

  it('rejects an unknown pure node only when it feeds a reachable node', () => {
    const mystery = pure('m', 'mystery', { inputs: ['a'] });
    rejects(flowOf([start(), end(['x']), mystery], [wire('start', 'end'), data('m', 'result', 'end', 'x')]), /unknown pure node type 'mystery'/);
    assert.doesNotThrow(() => compileFlow(flowOf([start(), end(), mystery], [wire('start', 'end')])));
  });

  it('rejects a data-edge cycle among pure nodes', () => {
    const nodes = [start(), end(['x']), pure('a', 'add', { inputs: ['a', 'b'] }), pure('b', 'add', { inputs: ['a', 'b'] })];
    rejects(flowOf(nodes, [wire('start', 'end'), data('a', 'result', 'end', 'x'), data('a', 'result', 'b', 'a'), data('b', 'result', 'a', 'a')]), /cycle/);
  });

  it('rejects two data edges into one pin', () => {
    rejects(flowOf([start(['p', 'q']), end(['x'])], [wire('start', 'end'), data('start', 'p', 'end', 'x'), data('start', 'q', 'end', 'x')]), /two data edges into input pin 'x'/);
  });

  it('rejects a flow without exec nodes and a cycle without an entry', () => {
    rejects(flowOf([pure('a', 'add')], []), /no exec node/);
    const loop = [exec('a', 'set_var', { inputs: ['name', 'value'] }), exec('b', 'set_var', { inputs: ['name', 'value'] })];
    rejects(flowOf(loop, [wire('a', 'b'), wire('b', 'a')]), /cycle without an entry/);
  });

  it('rejects exec-out fanned out to two targets and bad scheduler handles', () => {
    rejects(flowOf([start(), end(), exec('e2', 'on_flow_end', { execOuts: [] })], [wire('start', 'end'), wire('start', 'e2')]), /several outgoing exec edges/);
    rejects(flowOf([start(), exec('w', 'while', { inputs: ['condition'], execOuts: ['loop', 'done'] }), end()], [wire('start', 'w'), wire('w', 'end', 'exec-out')]), /unsupported execution outputs/);
    rejects(flowOf([start(), end()], [wire('start', 'end', 'weird')]), /unsupported execution output 'weird'/);
  });
});

describe('compileFlow: real bundles', () => {
  const dir = join(process.cwd(), 'test/fixtures/bundles');
  it('compiles every flow of every fixture bundle', async () => {
    let count = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.flow'))) {
      const bundle = await readBundle(join(dir, file));
      for (const [flowId, flow] of Object.entries(bundle.flows)) {
        assert.doesNotThrow(() => compileFlow(flow), `${file}:${flowId}`);
        count++;
      }
    }
    assert.ok(count >= 13);
  });

  it('drops the unreachable islands of features@dev and basic-agent', async () => {
    const features = compileFlow((await readBundle(join(dir, 'features@dev.flow'))).flows['bde7850f']);
    assert.equal(features.entry_node, 'node-12');
    assert.equal(features.hasNode('node-2'), true);
    assert.equal(features.hasNode('node-3'), false);
    const status = compileFlow((await readBundle(join(dir, 'basic-agent@0.0.1.flow'))).flows['15f19f7f']);
    assert.equal(status.hasNode('node-9'), false); // wait_until without an incoming exec edge
  });

  it('lowers basic-followup joins in front of the agent and the while node', async () => {
    const wf = compileFlow((await readBundle(join(dir, 'basic-followup@dev.flow'))).flows['a8f5b5f8']);
    assert.ok(wf.hasNode('__internal_join_exec__node-3'));
    assert.ok(wf.hasNode('__internal_join_exec__node-10'));
  });
});
