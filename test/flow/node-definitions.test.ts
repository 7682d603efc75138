import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBundle } from '../../src/bundles/archive.js';
import { CompileError, compileFlow } from '../../src/flow/compiler.js';
import type { FlowGraph, GraphNode } from '../../src/flow/engine/graph.js';
import { isEffectNode, type NodeDefinition } from '../../src/flow/nodes/definition.js';
import { isPureNodeType, NODE_DEFINITIONS, nodeDefinition, PURE_NODES } from '../../src/flow/nodes/index.js';
import { FIXTURES_DIR } from '../bundles/zip-helpers.js';
import { drive, exec, flowOf, wire } from './flowkit.js';

const definitions = [...NODE_DEFINITIONS.values()];
const ofKind = (...kinds: NodeDefinition['kind'][]) => definitions.filter((d) => kinds.includes(d.kind));

/** `start → <type>` with the node's exec-out unwired; `name` satisfies `emit_event`. */
const stepOnce = (type: string) => {
  const nodes = [exec('start', 'on_flow_start', { entry: true }), exec('x', type, { pinDefaults: { name: 'ping' }, agentConfig: { _react_workflow_id: 'react-x' } })];
  return drive(compileFlow(flowOf(nodes, [wire('start', 'x')])), { prompt: 'hi' });
};

describe('node definitions', () => {
  it('cover every node type of the real bundles with a runnable definition', async () => {
    const missing = new Set<string>();
    for (const file of readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.flow'))) {
      const bundle = await readBundle(join(FIXTURES_DIR, file));
      for (const flow of Object.values(bundle.flows)) {
        for (const node of flow.nodes) {
          const type = String(node.type || node.data?.nodeType);
          const def = nodeDefinition(type);
          if (!def || def.kind === 'unsupported') missing.add(`${file}: ${type}`);
        }
      }
    }
    assert.deepEqual([...missing], []);
  });

  it('are keyed by their own type and only carry the fields of their kind', () => {
    for (const [type, def] of NODE_DEFINITIONS) {
      assert.equal(def.type, type);
      assert.equal('logic' in def, def.kind === 'pure' || def.kind === 'literal', type);
      assert.equal('step' in def, !['pure', 'literal', 'unsupported'].includes(def.kind), type);
      assert.equal(isEffectNode(def), 'effect' in def && 'outputs' in def, type);
      if (def.kind === 'sched') assert.ok(def.exits || def.routes, `${type}: a scheduler declares its exits or routes`);
    }
    assert.equal(nodeDefinition('toString'), undefined);
    assert.equal(nodeDefinition('__proto__'), undefined);
  });

  it('derive the pure library table', () => {
    const pure = ofKind('pure', 'literal');
    assert.deepEqual(Object.keys(PURE_NODES).sort(), pure.map((d) => d.type).sort());
    for (const def of pure) {
      assert.equal(PURE_NODES[def.type], 'logic' in def && def.logic, def.type);
      assert.ok(isPureNodeType(def.type), def.type);
    }
    for (const def of definitions.filter((d) => !pure.includes(d))) assert.equal(isPureNodeType(def.type), false, def.type);
  });

  it('effect nodes issue an effect of their declared type into their result key', () => {
    for (const def of ofKind('effect', 'agent')) {
      const { last } = stepOnce(def.type);
      assert.equal(last.effect?.type, isEffectNode(def) && def.effect, def.type);
      // The agent keeps its child's result in its own bucket (spec §6.1.3).
      assert.equal(last.effect?.result_key, def.type === 'agent' ? '_temp.agent.x.sub' : '_temp.effects.x', def.type);
    }
  });

  it('effect nodes map any raw outcome to an object of output pins', () => {
    const g: FlowGraph = { workflowId: 'f1', entry: 'x', flow: flowOf([], []), exec: new Map(), nodes: new Map(), referencedPins: new Set(), toolSpecs: null };
    for (const def of definitions) {
      if (!isEffectNode(def)) continue;
      const node: GraphNode = { id: 'x', type: def.type, role: 'exec', def, data: {}, inputPins: [], inputPinTypes: {}, outputPins: ['out'], pinDefaults: {}, dataIn: {} };
      for (const raw of [undefined, null, 'text', 3, [], {}, { results: [{ success: true, output: 1 }], output: { result: 1 } }]) {
        const out = def.outputs(raw, node, g);
        assert.ok(out && typeof out === 'object' && !Array.isArray(out), `${def.type} on ${JSON.stringify(raw)}`);
      }
    }
  });

  it('in-process exec nodes never issue an effect', () => {
    for (const def of ofKind('visual', 'var', 'sched')) {
      const { last } = stepOnce(def.type);
      assert.equal(last.effect ?? null, null, def.type);
    }
  });

  it('schedulers accept only their declared exits', () => {
    for (const def of ofKind('sched')) {
      if (def.kind !== 'sched' || !def.exits) continue;
      const nodes = [exec('start', 'on_flow_start', { entry: true }), exec('s', def.type, { execOuts: ['bogus'] }), exec('t', 'on_flow_end', { execOuts: [] })];
      assert.throws(
        () => compileFlow(flowOf(nodes, [wire('start', 's'), wire('s', 't', 'bogus')])),
        (e: any) => e instanceof CompileError && /unsupported execution outputs \["bogus"\]/.test(e.message),
        def.type,
      );
    }
  });

  it('unsupported types fail compilation only when reachable', () => {
    for (const def of ofKind('unsupported')) {
      const reachable = flowOf([exec('start', 'on_flow_start', { entry: true }), exec('c', def.type)], [wire('start', 'c')]);
      assert.throws(() => compileFlow(reachable), /not supported in the TypeScript runtime/, def.type);
      const island = flowOf([exec('start', 'on_flow_start', { entry: true }), exec('c', def.type)], [], { entryNode: 'start' });
      assert.equal(compileFlow(island).hasNode('c'), false, def.type);
    }
  });
});
