import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBundle } from '../../src/bundles/archive.js';
import { compileFlow } from '../../src/flow/compiler.js';
import type { VisualEdge, VisualNode } from '../../src/flow/types.js';
import { CTX, data, drive, exec, flowOf, newRun, pure, wire } from './flowkit.js';

const start = (outputs: string[] = [], extra = {}) => exec('start', 'on_flow_start', { entry: true, outputs, ...extra });
const end = (inputs: string[] = [], id = 'end') => exec(id, 'on_flow_end', { inputs, execOuts: [] });
const compile = (nodes: VisualNode[], edges: VisualEdge[]) => compileFlow(flowOf(nodes, edges));
const getVar = (id: string, name: string) => pure(id, 'get_var', { inputs: ['name'], outputs: ['value'], pinDefaults: { name } });
const setVar = (id: string, name: string, extra = {}) => exec(id, 'set_var', { inputs: ['name:string', 'value:any'], outputs: ['value'], pinDefaults: { name }, ...extra });
/** First plan of a flow (start → node) after stepping the start node. */
const planAt = (nodes: VisualNode[], edges: VisualEdge[], vars = {}) => drive(compile(nodes, edges), vars).last;

describe('engine: pipeline and outputs', () => {
  it('fills unwired declared pins from the ambient on_flow_start output', () => {
    const { last } = drive(compile([start(['message']), exec('a', 'answer_user', { inputs: ['message', 'level'] })], [wire('start', 'a')]), { message: 'hi' });
    assert.deepEqual(last.effect, { type: 'answer_user', payload: { type: 'answer_user', message: 'hi', level: 'message', resume_to_node: null }, result_key: '_temp.effects.a' });
  });

  it('on_flow_start applies pin defaults without writing them into vars', () => {
    const { output, run } = drive(compile([start(['a', 'b'], { pinDefaults: { b: 2 } }), end(['a', 'b'])], [wire('start', 'end')]), { a: 1 });
    assert.deepEqual(output, { a: 1, b: 2, success: true });
    assert.equal('b' in run.vars, false);
  });

  it('on_flow_end: unwired pins are null and a declared success pin is kept', () => {
    assert.deepEqual(drive(compile([start(), end(['response', 'scratchpad'])], [wire('start', 'end')])).output, { response: null, scratchpad: null, success: true });
    assert.deepEqual(drive(compile([start(), end(['success'])], [wire('start', 'end')])).output, { success: null });
  });

  it('a pure node exception becomes a graph-level error (completed, success:false)', () => {
    const nodes = [start(), end(['x']), pure('d', 'divide', { inputs: ['a', 'b'], pinDefaults: { a: 1, b: 0 } })];
    const { output, run } = drive(compile(nodes, [wire('start', 'end'), data('d', 'result', 'end', 'x')]));
    assert.equal(output!.success, false);
    assert.equal(output!.node, 'end');
    assert.match(output!.error, /zero/i);
    assert.equal(run.vars._flow_error_node, 'end');
  });

  it('an exception while building an effect escapes step()', () => {
    const wf = compile([start(), exec('e', 'emit_event', { inputs: ['name', 'payload'] })], [wire('start', 'e')]);
    assert.throws(() => drive(wf), /missing event name/);
  });
});

describe('engine: branching', () => {
  const ifFlow = (wireFalse: boolean) =>
    compile(
      [start(['flag']), exec('if', 'if', { inputs: ['condition'], execOuts: ['true', 'false'] }), end(['r'], 'yes'), end(['r'], 'no')],
      [wire('start', 'if'), data('start', 'flag', 'if', 'condition'), wire('if', 'yes', 'true'), ...(wireFalse ? [wire('if', 'no', 'false')] : [])],
    );

  it('if follows pyTruthy and an unconnected branch ends cleanly', () => {
    assert.equal(drive(ifFlow(true), { flag: 'x' }).last.node_id, 'yes');
    assert.equal(drive(ifFlow(true), { flag: [] }).last.node_id, 'no');
    assert.deepEqual(drive(ifFlow(false), { flag: 0 }).output, { branch: 'false', condition: 0, success: true });
  });

  it('switch matches case values as strings, else default', () => {
    const wf = compile(
      [start(['v']), exec('sw', 'switch', { inputs: ['value'], execOuts: ['case:a', 'default'], switchConfig: { cases: [{ id: 'a', value: '1' }] } }), end([], 'one'), end([], 'other')],
      [wire('start', 'sw'), data('start', 'v', 'sw', 'value'), wire('sw', 'one', 'case:a'), wire('sw', 'other', 'default')],
    );
    assert.equal(drive(wf, { v: 1 }).last.node_id, 'one');
    assert.equal(drive(wf, { v: 2 }).last.node_id, 'other');
  });
});

describe('engine: variables', () => {
  it('set_var is pass-through and a terminal set_var completes with the pipeline value', () => {
    const { output, run } = drive(compile([start(['p']), setVar('s', 'greeting', { pinDefaults: { name: 'greeting', value: 'hi' } })], [wire('start', 's')]), { p: 1 });
    assert.deepEqual(output, { success: true, result: { p: 1 } });
    assert.equal(run.vars.greeting, 'hi');
    assert.deepEqual(run.vars._temp.node_outputs.s, { value: 'hi' });
  });

  it('set_var defaults a missing value by pin type and rejects reserved names', () => {
    const typed = exec('s', 'set_var', { inputs: ['name:string', 'value:number'], pinDefaults: { name: 'n' } });
    assert.equal(drive(compile([exec('start', 'on_flow_start', { entry: true }), typed], [wire('start', 's')])).run.vars.n, 0);
    const { output, run } = drive(compile([start(), setVar('s', '_x')], [wire('start', 's')]));
    assert.deepEqual(output, { success: false, error: "Invalid variable name '_x': names starting with '_' are reserved.", node: 's' });
    assert.equal(run.vars._flow_error_node, 's');
  });

  it('set_var writes dotted paths; set_vars applies an update object', () => {
    const nodes = [start(), setVar('s', 'a.b', { pinDefaults: { name: 'a.b', value: 3 } }), exec('m', 'set_vars', { inputs: ['updates'], pinDefaults: { updates: '{"x": 1, "y.z": 2}' } })];
    const { run } = drive(compile(nodes, [wire('start', 's'), wire('s', 'm')]));
    assert.deepEqual([run.vars.a, run.vars.x, run.vars.y], [{ b: 3 }, 1, { z: 2 }]);
  });
});

describe('engine: schedulers and the control stack', () => {
  it('while re-evaluates its condition on every entry; the body returns to it', () => {
    const nodes = [
      start(),
      setVar('init', 'i', { pinDefaults: { name: 'i', value: 0 } }),
      exec('w', 'while', { inputs: ['condition'], execOuts: ['loop', 'done'] }),
      getVar('gi', 'i'),
      pure('lt', 'compare', { inputs: ['a', 'op', 'b'], pinDefaults: { op: '<', b: 3 } }),
      pure('inc', 'add', { inputs: ['a', 'b'], pinDefaults: { b: 1 } }),
      setVar('bump', 'i'),
      end(['i']),
    ];
    const edges = [
      wire('start', 'init'),
      wire('init', 'w'),
      wire('w', 'bump', 'loop'),
      wire('w', 'end', 'done'),
      data('gi', 'value', 'lt', 'a'),
      data('lt', 'result', 'w', 'condition'),
      data('gi', 'value', 'inc', 'a'),
      data('inc', 'result', 'bump', 'value'),
      data('gi', 'value', 'end', 'i'),
    ];
    const { output, run } = drive(compile(nodes, edges));
    assert.deepEqual(output, { i: 3, success: true });
    assert.deepEqual(run.vars._temp._control.stack, []);
  });

  it('for iterates an end-exclusive range and exposes i/index/total', () => {
    const nodes = [start(), setVar('init', 'sum', { pinDefaults: { name: 'sum', value: 0 } }), exec('f', 'for', { inputs: ['start', 'end', 'step'], execOuts: ['loop', 'done'], pinDefaults: { start: 0, end: 4 } }), getVar('gs', 'sum'), pure('plus', 'add', { inputs: ['a', 'b'] }), setVar('acc', 'sum'), end(['sum', 'total'])];
    const edges = [wire('start', 'init'), wire('init', 'f'), wire('f', 'acc', 'loop'), wire('f', 'end', 'done'), data('gs', 'value', 'plus', 'a'), data('f', 'i', 'plus', 'b'), data('plus', 'result', 'acc', 'value'), data('gs', 'value', 'end', 'sum'), data('f', 'total', 'end', 'total')];
    assert.deepEqual(drive(compile(nodes, edges)).output, { sum: 6, total: 4, success: true });
  });

  it('for with a bad range ends the run with a graph-level error', () => {
    const nodes = [start(), exec('f', 'for', { inputs: ['start', 'end'], execOuts: ['loop', 'done'] }), end()];
    assert.deepEqual(drive(compile(nodes, [wire('start', 'f'), wire('f', 'end', 'loop')])).output, { success: false, error: "For loop requires numeric 'start' and 'end'.", node: 'f' });
  });

  it('loop (for-each) runs an effect per item; a terminal effect returns to the loop', () => {
    const nodes = [start(['items']), exec('each', 'loop', { inputs: ['items'], execOuts: ['loop', 'done'] }), exec('say', 'answer_user', { inputs: ['message'] }), end(['count'])];
    const edges = [wire('start', 'each'), data('start', 'items', 'each', 'items'), wire('each', 'say', 'loop'), data('each', 'item', 'say', 'message'), wire('each', 'end', 'done'), data('each', 'index', 'end', 'count')];
    const said: string[] = [];
    const { output, effects } = drive(compile(nodes, edges), { items: ['a', 'b', 'c'] }, (e, plan) => {
      assert.equal(plan.next_node, 'each'); // return-to-active-control rule
      said.push(e.payload.message);
      return { message: e.payload.message, level: 'message' };
    });
    assert.deepEqual(said, ['a', 'b', 'c']);
    assert.equal(effects.length, 3);
    assert.deepEqual(output, { count: 2, success: true });
  });

  it('sequence runs then:0, then:1 in order; exhausting it completes with the pipeline value', () => {
    const nodes = [start(['p']), exec('seq', 'sequence', { execOuts: ['then:0', 'then:1'] }), setVar('a', 'first', { pinDefaults: { name: 'first', value: 1 } }), setVar('b', 'second', { pinDefaults: { name: 'second', value: 2 } })];
    const { output, run } = drive(compile(nodes, [wire('start', 'seq'), wire('seq', 'b', 'then:1'), wire('seq', 'a', 'then:0')]), { p: 'x' });
    assert.deepEqual(output, { success: true, result: { p: 'x' } });
    assert.deepEqual([run.vars.first, run.vars.second], [1, 2]);
  });

  it('on_flow_end inside a sequence branch ends the whole run', () => {
    const nodes = [start(), exec('seq', 'sequence', { execOuts: ['then:0', 'then:1'] }), end(['x']), setVar('b', 'second', { pinDefaults: { name: 'second', value: 2 } })];
    const { output, run } = drive(compile(nodes, [wire('start', 'seq'), wire('seq', 'end', 'then:0'), wire('seq', 'b', 'then:1')]));
    assert.deepEqual(output, { x: null, success: true });
    assert.equal('second' in run.vars, false);
  });

  it('parallel runs branches one after another, then completed', () => {
    const nodes = [start(), exec('par', 'parallel', { execOuts: ['then:0', 'then:1', 'completed'] }), setVar('a', 'a', { pinDefaults: { name: 'a', value: 1 } }), setVar('b', 'b', { pinDefaults: { name: 'b', value: 2 } }), getVar('ga', 'a'), getVar('gb', 'b'), end(['a', 'b'])];
    const edges = [wire('start', 'par'), wire('par', 'a', 'then:0'), wire('par', 'b', 'then:1'), wire('par', 'end', 'completed'), data('ga', 'value', 'end', 'a'), data('gb', 'value', 'end', 'b')];
    assert.deepEqual(drive(compile(nodes, edges)).output, { a: 1, b: 2, success: true });
  });
});

describe('engine: effect plans and result mapping', () => {
  it('ask_user issues a user prompt and exposes the resume payload as pins', () => {
    const nodes = [start(), exec('ask', 'ask_user', { inputs: ['prompt', 'choices'], outputs: ['response'], pinDefaults: { prompt: 'Name?' } }), end(['answer'])];
    const wf = compile(nodes, [wire('start', 'ask'), wire('ask', 'end'), data('ask', 'response', 'end', 'answer')]);
    const { last, output } = drive(wf, {}, (e) => {
      assert.deepEqual(e.payload, { type: 'ask_user', prompt: 'Name?', choices: [], allow_free_text: true, resume_to_node: 'end' });
      return { response: 'Ada' };
    });
    assert.equal(last.node_id, 'end');
    assert.deepEqual(output, { answer: 'Ada', success: true });
  });

  it('llm_call: auto payload without provider/model, pair override, and output mapping', () => {
    const llm = exec('llm', 'llm_call', { inputs: ['provider', 'model', 'system', 'prompt', 'tools', 'seed'], outputs: ['response', 'meta', 'tool_calls'], pinDefaults: { prompt: 'hi', system: 'be nice' } });
    const nodes = [start(['provider', 'model']), llm, end(['response', 'meta'])];
    const edges = [wire('start', 'llm'), wire('llm', 'end'), data('llm', 'response', 'end', 'response'), data('llm', 'meta', 'end', 'meta')];
    const wf = compile(nodes, edges);
    const auto = drive(wf).last.effect!;
    assert.deepEqual(auto.payload, { type: 'llm_call', prompt: 'hi', system_prompt: 'be nice', tools: [], params: { temperature: 0.7 }, include_context: false, resume_to_node: 'end' });
    const { output, effects } = drive(wf, { provider: 'openai', model: 'gpt' }, () => ({ content: 'hello', provider: 'openai', model: 'gpt', finish_reason: 'stop' }));
    assert.equal(effects[0].payload.provider, 'openai');
    assert.deepEqual(output, { response: 'hello', meta: { schema: 'abstractflow.llm_call.v1.meta', version: 1, output_mode: 'unstructured', tool_calls: 0, provider: 'openai', model: 'gpt', finish_reason: 'stop' }, success: true });
  });

  it('llm_call with use_context sends the active conversation as messages', () => {
    const llm = exec('llm', 'llm_call', { inputs: ['use_context', 'system', 'prompt'], pinDefaults: { use_context: true, system: 'sys', prompt: 'now' } });
    const vars = { context: { messages: [{ role: 'user', content: 'before' }, { role: 'system', content: 'rules' }], attachments: [{ $artifact: 'a1' }] } };
    const eff = drive(compile([start(), llm], [wire('start', 'llm')]), vars).last.effect!;
    assert.deepEqual(eff.payload.messages, [{ role: 'system', content: 'rules' }, { role: 'system', content: 'sys' }, { role: 'user', content: 'before' }, { role: 'user', content: 'now' }]);
    assert.deepEqual(eff.payload.media, [{ $artifact: 'a1' }]);
    assert.equal('prompt' in eff.payload, false);
  });

  it('wait_until converts a duration into an absolute ISO instant', () => {
    const plan = planAt([start(), exec('w', 'wait_until', { inputs: ['duration'], pinDefaults: { duration: 90 }, effectConfig: { durationType: 'minutes' } })], [wire('start', 'w')]);
    assert.deepEqual(plan.effect!.payload, { type: 'wait_until', until: '2026-01-02T04:34:05.000000+00:00', resume_to_node: null });
  });

  it('emit_event numbers its emissions and maps the dispatch result', () => {
    const nodes = [start(), exec('e', 'emit_event', { inputs: ['name', 'payload'], outputs: ['delivered'], pinDefaults: { payload: 'x' }, effectConfig: { name: 'ping', scope: 'bogus', sessionId: 's9' } }), end(['delivered'])];
    const wf = compile(nodes, [wire('start', 'e'), wire('e', 'end'), data('e', 'delivered', 'end', 'delivered')]);
    const run = newRun(wf);
    run.current_node = 'e';
    const first = wf.step(run, CTX).effect!;
    assert.deepEqual(first.payload, { scope: 'session', name: 'ping', payload: { value: 'x' }, event_id: 'run-1:e:1', max_steps: 0, session_id: 's9' });
    assert.equal(wf.step(run, CTX).effect!.payload.event_id, 'run-1:e:2');
    run.vars._temp.effects = { e: { delivered: 2 } };
    run.current_node = 'end';
    assert.deepEqual(wf.step(run, CTX).complete_output, { delivered: 2, success: true });
  });

  it('on_event listens on the control stack and its branch returns to it', () => {
    const nodes = [exec('ev', 'on_event', { entry: true, inputs: ['scope'], outputs: ['payload'], eventConfig: { name: 'ping', scope: 'run' } }), setVar('s', 'got')];
    const wf = compileFlow(flowOf(nodes, [wire('ev', 's'), data('ev', 'payload', 's', 'value')]), { entryNode: 'ev' });
    const run = newRun(wf);
    const plan = wf.step(run, CTX);
    assert.deepEqual(plan.effect, { type: 'wait_event', payload: { scope: 'run', name: 'ping', resume_to_node: 's' }, result_key: '_temp.effects.ev' });
    run.vars._temp.effects = { ev: { name: 'ping', payload: { n: 1 } } };
    run.current_node = 's';
    assert.equal(wf.step(run, CTX).next_node, 'ev');
    assert.deepEqual(run.vars.got, { n: 1 });
  });

  it('subflow builds child vars from declared pins and inherits context', () => {
    const sub = exec('sub', 'subflow', { inputs: ['inherit_context', 'input', 'state', 'child_session_id'], outputs: ['output', 'answer'], subflowId: 'child', pinDefaults: { inherit_context: true, child_session_id: 'c1' } });
    const nodes = [start(['state', 'extra']), sub, end(['output', 'answer'])];
    const edges = [wire('start', 'sub'), wire('sub', 'end'), data('sub', 'output', 'end', 'output'), data('sub', 'answer', 'end', 'answer')];
    const context = { messages: [{ role: 'user', content: 'hi', metadata: { message_id: 'm1' } }] };
    const { effects, output } = drive(compile(nodes, edges), { state: 'go', extra: 1, context }, () => ({ sub_run_id: 'c', output: { result: { answer: 42 }, success: true } }));
    assert.deepEqual(effects[0].payload, {
      type: 'start_subworkflow',
      workflow_id: 'child',
      vars: { state: 'go', context: { messages: [{ role: 'user', content: 'hi', metadata: { message_id: 'm1' } }] } },
      async: true,
      wait: true,
      session_id: 'c1',
      resume_to_node: 'end',
    });
    assert.deepEqual(output, { output: { answer: 42 }, answer: 42, success: true });
  });

  it('generate_image issues a media llm_call and maps the artifact pins', () => {
    const img = exec('img', 'generate_image', { inputs: ['prompt', 'width', 'image_provider'], outputs: ['image_artifact'], pinDefaults: { prompt: 'galaxy', width: '512' }, effectConfig: { image_provider: 'hf', image_model: 'q' } });
    const ref = { $artifact: 'art1', content_type: 'image/png' };
    const { effects, output } = drive(compile([start(), img, end(['image_artifact'])], [wire('start', 'img'), wire('img', 'end'), data('img', 'image_artifact', 'end', 'image_artifact')]), {}, () => ({ outputs: { image: [{ artifact_ref: ref }] } }));
    assert.deepEqual(effects[0].payload.output, { modality: 'image', task: 'image_generation', format: 'png', width: 512, provider: 'hf', model: 'q' });
    assert.deepEqual(output, { image_artifact: { ...ref, artifact_id: 'art1' }, success: true });
  });

  it('the agent starts its ReAct child with the resolved inputs, then maps the child answer onto its pins', () => {
    const agent = exec('ag', 'agent', {
      inputs: ['prompt', 'system', 'provider', 'model', 'tools', 'seed'],
      outputs: ['response', 'meta'],
      agentConfig: { provider: 'OpenAI', model: 'gpt', tools: ['read_file'], _react_workflow_id: 'react-ag' },
      pinDefaults: { seed: 7 },
    });
    const child = { sub_run_id: 'c1', output: { answer: 'done', iterations: 2, messages: [] }, node_traces: {} };
    const { effects, output } = drive(
      compile([start(['prompt']), agent, end(['response'])], [wire('start', 'ag'), wire('ag', 'end'), data('ag', 'response', 'end', 'response')]),
      { prompt: 'do it' },
      () => child,
    );
    assert.equal(effects.length, 1);
    const [sub] = effects;
    assert.equal(sub.type, 'start_subworkflow');
    assert.equal(sub.result_key, '_temp.agent.ag.sub');
    assert.equal(sub.payload.workflow_id, 'react-ag');
    assert.deepEqual(sub.payload.vars._runtime, { inbox: [], allowed_tools: ['read_file'], provider: 'openai', model: 'gpt', seed: 7 });
    assert.equal(sub.payload.vars.context.task, 'do it');
    assert.equal(sub.payload.vars.scratchpad.max_iterations, 25, 'no inherited _limits: the ReAct default');
    assert.deepEqual(output, { response: 'done', success: true });
  });
});

describe('engine: real bundles (spec §9.2)', () => {
  const dir = join(process.cwd(), 'test/fixtures/bundles');
  it('yoda@dev completes without any effect', async () => {
    const wf = compileFlow((await readBundle(join(dir, 'yoda@dev.flow'))).flows['646770d8']);
    const { output, effects, last } = drive(wf, { prompt: 'hello master' });
    assert.equal(effects.length, 0);
    assert.equal(last.node_id, 'node-7');
    assert.deepEqual(output, { success: true, result: { prompt: 'hello master' } });
  });

  it('the basic-agent status child emits abstract.status with no next node', async () => {
    const wf = compileFlow((await readBundle(join(dir, 'basic-agent@0.0.1.flow'))).flows['15f19f7f']);
    const { last } = drive(wf, { state: 'Thinking...' });
    assert.equal(last.effect!.type, 'emit_event');
    assert.equal(last.effect!.result_key, '_temp.effects.node-4');
    assert.deepEqual({ ...last.effect!.payload, event_id: undefined }, { name: 'abstract.status', scope: 'run', payload: { value: 'Thinking...' }, event_id: undefined, max_steps: 0 });
    assert.equal(last.next_node, null);
  });
});
