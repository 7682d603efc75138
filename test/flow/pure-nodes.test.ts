import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isPureNodeType, PURE_NODES } from '../../src/flow/nodes/index.js';
import type { NodeData, PureNodeContext } from '../../src/flow/types.js';

interface CtxOptions {
  data?: NodeData;
  inputPins?: string[];
  vars?: Record<string, any>;
  random?: number;
  nowMs?: number;
}

function nc(type: string, o: CtxOptions = {}): PureNodeContext {
  return {
    node: { id: 'n1', type, data: o.data ?? {} },
    inputPins: o.inputPins ?? [],
    vars: o.vars ?? {},
    run: { run_id: 'run-1', workflow_id: 'wf', session_id: null },
    ctx: { nowMs: () => o.nowMs ?? Date.UTC(2026, 0, 9, 12, 34, 56, 123), random: () => o.random ?? 0.5 },
  };
}

/** Run the node `type` on `inputs`. */
function run(type: string, inputs: Record<string, any> = {}, o: CtxOptions = {}): any {
  const logic = PURE_NODES[type];
  assert.ok(logic, `no pure node '${type}'`);
  return logic(inputs, nc(type, o));
}

test('registry covers the catalogue and rejects exec types', () => {
  const expected = [
    'compare', 'and', 'or', 'not', 'coalesce', 'path_mux',
    'add', 'subtract', 'multiply', 'divide', 'modulo', 'power', 'abs', 'round', 'random_int', 'random_float',
    'concat', 'split', 'join', 'format', 'string_template', 'uppercase', 'lowercase', 'trim', 'substring', 'length',
    'is_empty_string', 'contains', 'replace',
    'make_array', 'array_concat', 'get_element', 'get_random_element', 'get', 'set', 'merge', 'make_object', 'array_map',
    'array_filter', 'array_length', 'has_tools', 'array_append', 'array_dedup', 'parse_json', 'stringify_json',
    'break_object', 'make_context', 'tool_parameters',
    'literal_string', 'literal_number', 'literal_boolean', 'literal_json', 'literal_array', 'json_schema', 'tools_allowlist',
    'get_var', 'var_decl', 'bool_var', 'get_context', 'system_datetime',
  ];
  for (const t of expected) assert.ok(isPureNodeType(t), t);
  for (const t of ['if', 'set_var', 'on_flow_start', 'agent', 'toString', '__proto__']) assert.equal(isPureNodeType(t), false, t);
});

test('compare uses Python ==/< semantics; incomparable is false; unknown op throws', () => {
  assert.equal(run('compare', { a: 'abc', op: '>', b: 0 }), false);
  assert.equal(run('compare', { a: 'abc', op: '<', b: 0 }), false);
  assert.equal(run('compare', { a: 1, b: 1 }), true); // op defaults to ==
  assert.equal(run('compare', { a: '1', b: 1 }), false);
  assert.equal(run('compare', { a: true, op: '==', b: 1 }), true);
  assert.equal(run('compare', { a: null, op: '!=', b: 0 }), true);
  assert.equal(run('compare', { a: 3, op: '>=', b: 2.5 }), true);
  assert.equal(run('compare', { a: null, op: '<', b: 1 }), false);
  assert.equal(run('compare', { op: '==' }), true); // both absent: None == None
  assert.throws(() => run('compare', { a: 1, op: '=~', b: 1 }), /Unknown comparison operator: =~/);
});

test('and / or / not use truthiness; missing pins are false', () => {
  assert.equal(run('and', { a: 1, b: 'x' }), true);
  assert.equal(run('and', { a: 1 }), false);
  assert.equal(run('or', { a: [], b: {} }), false);
  assert.equal(run('or', { b: [0] }), true);
  assert.equal(run('not', {}), true);
  assert.equal(run('not', { value: 'no' }), false);
  assert.equal(run('not', { value: 0 }), true);
});

test('coalesce returns the first non-null present pin in declared order', () => {
  const pins = { inputPins: ['x', 'y', 'z'] };
  assert.equal(run('coalesce', { x: null, z: 0, y: '' }, pins), '');
  assert.equal(run('coalesce', { z: false }, pins), false);
  assert.equal(run('coalesce', { x: null }, pins), null);
  assert.equal(run('coalesce', { b: 2, a: 1 }), 1); // no pin metadata: a, b
});

test('path_mux selects in<select>, present-null included, else fallback', () => {
  assert.deepEqual(run('path_mux', { select: 1, in0: 'a', in1: 'b' }), { out: 'b' });
  assert.deepEqual(run('path_mux', { select: '1.7', in1: null, fallback: 'f' }), { out: null });
  assert.deepEqual(run('path_mux', { select: 2, in0: 'a', fallback: 'f' }), { out: 'f' });
  assert.deepEqual(run('path_mux', { select: 'bad', in0: 'a' }), { out: 'a' });
  assert.deepEqual(run('path_mux', { select: 5 }), { out: null });
});

test('math: defaults for absent operands, Python float() coercion', () => {
  assert.equal(run('add', {}), 0);
  assert.equal(run('add', { a: '2.5', b: true }), 3.5);
  assert.equal(run('subtract', { a: 1 }), 1);
  assert.equal(run('multiply', { a: 3 }), 0);
  assert.equal(run('divide', { a: 7 }), 7); // b defaults to 1
  assert.equal(run('divide', { a: 1, b: 4 }), 0.25);
  assert.equal(run('power', { base: 2 }), 2); // exp defaults to 1
  assert.equal(run('power', { base: 2, exp: 10 }), 1024);
  assert.equal(run('abs', { value: '-3' }), 3);
  assert.throws(() => run('add', { a: 'abc' }), { name: 'ValueError' });
});

test('math: a present null operand throws', () => {
  assert.throws(() => run('add', { a: null, b: 1 }), { name: 'TypeError' });
  assert.throws(() => run('divide', { a: 1, b: null }), { name: 'TypeError' });
  assert.throws(() => run('round', { value: null }), { name: 'TypeError' });
});

test('math: division and modulo by zero throw', () => {
  assert.throws(() => run('divide', { a: 1, b: 0 }), { message: 'Division by zero' });
  assert.throws(() => run('modulo', { a: 1, b: '0' }), { message: 'Modulo by zero' });
  assert.throws(() => run('power', { base: 0, exp: -1 }), { name: 'ZeroDivisionError' });
});

test('modulo takes the sign of the divisor', () => {
  assert.equal(run('modulo', { a: -7, b: 3 }), 2);
  assert.equal(run('modulo', { a: 7, b: -3 }), -2);
  assert.equal(run('modulo', { a: 7, b: 3 }), 1);
  assert.equal(run('modulo', { a: 5.5, b: 2 }), 1.5);
  assert.equal(run('modulo', { a: 7 }), 0); // b defaults to 1
});

test('round is half-to-even on the exact binary value', () => {
  assert.deepEqual([0.5, 1.5, 2.5, 3.5, -2.5].map((value) => run('round', { value })), [0, 2, 2, 4, -2]);
  assert.equal(run('round', { value: 0.125, decimals: 2 }), 0.12);
  assert.equal(run('round', { value: 0.375, decimals: 2 }), 0.38);
  assert.equal(run('round', { value: 2.675, decimals: 2 }), 2.67); // 2.675 is really 2.67499999...
  assert.equal(run('round', { value: 1234.5678, decimals: 2 }), 1234.57);
  assert.equal(run('round', { value: 1250, decimals: -2 }), 1200);
  assert.equal(run('round', { value: 1350, decimals: -2 }), 1400);
  assert.equal(run('round', { value: 2.5, decimals: 2.9 }), 2.5); // decimals via int()
  assert.throws(() => run('round', { value: 1, decimals: '1.5' }), { name: 'ValueError' });
});

test('random_int / random_float use the injected RNG, swap reversed bounds, fall back on bad ones', () => {
  assert.equal(run('random_int', {}, { random: 0 }), 0);
  assert.equal(run('random_int', {}, { random: 0.999999 }), 100);
  assert.equal(run('random_int', { min: 10, max: 1 }, { random: 0.999999 }), 10);
  assert.equal(run('random_int', { min: 'x', max: '5.9' }, { random: 0.999999 }), 5);
  assert.equal(run('random_float', {}, { random: 0.25 }), 0.25);
  assert.equal(run('random_float', { min: 4, max: 2 }, { random: 0.5 }), 3);
  assert.equal(run('random_float', { min: 2, max: 2 }), 2);
});

test('concat joins present pins in declared order and decodes only the separator', () => {
  const o = { inputPins: ['a', 'b', 'c', 'd'], data: { concatConfig: { separator: '\\n' } } };
  // Pin b holds the two characters backslash-n: kept verbatim; d is absent: skipped, no separator.
  assert.equal(run('concat', { c: null, a: 'x', b: '\\n' }, o), 'x\n\\n\n');
  assert.equal(run('concat', { a: 1, b: true, c: { k: null } }, { inputPins: ['a', 'b', 'c'] }), "1 True {'k': None}");
  assert.equal(run('concat', { b: 'B', a: 'A', z: 'Z', name: 'N' }), 'A B Z N'); // no metadata: letters, then others
  assert.equal(run('concat', { a: 'x', b: 'y' }, { inputPins: ['a', 'b'], data: { concatConfig: { separator: '' } } }), 'xy');
});

test('split trims, drops empties, decodes the delimiter, honours maxsplit', () => {
  assert.deepEqual(run('split', { text: 'A@@B@@ ', delimiter: '@@' }), ['A', 'B']);
  assert.deepEqual(run('split', { text: 'a, b,,c' }), ['a', 'b', 'c']);
  assert.deepEqual(run('split', { text: 'l1\nl2', delimiter: '\\n' }), ['l1', 'l2']);
  assert.deepEqual(run('split', { text: 'a,b,c,d', maxsplit: 2 }), ['a', 'b', 'c,d']);
  assert.deepEqual(run('split', { text: ' a , ,b', trim: false, drop_empty: false }), [' a ', ' ', 'b']);
  assert.deepEqual(run('split', { text: 'abc', delimiter: '' }), ['abc']);
  assert.deepEqual(run('split', { text: null }), []);
});

test('join stringifies items, decodes the delimiter, wraps non-lists', () => {
  assert.equal(run('join', { items: ['a', null, 1, true] }), 'a,,1,True');
  assert.equal(run('join', { items: ['a', 'b'], delimiter: '\\n' }), 'a\nb');
  assert.equal(run('join', { items: 'solo' }), 'solo');
  assert.equal(run('join', {}), '');
});

test('format is str.format(**values)', () => {
  assert.equal(run('format', { template: 'Hi {name}, {{literal}} {v!r} {l[1]} {d[k]}', values: { name: 'Bob', v: 's', l: [1, 2], d: { k: null } } }), "Hi Bob, {literal} 's' 2 None");
  assert.equal(run('format', { template: '{x}', values: 'not an object' }), '{x}');
  assert.throws(() => run('format', { template: '{missing}', values: {} }), { name: 'KeyError', message: "'missing'" });
  assert.throws(() => run('format', { template: '{"a": 1}', values: {} }), { name: 'KeyError' });
  assert.throws(() => run('format', { template: '{}', values: {} }), { name: 'IndexError' });
  assert.throws(() => run('format', { template: 'a } b', values: {} }), { name: 'ValueError' });
});

test('string_template resolves paths and filters', () => {
  const vars = { user: { name: ' bob ' }, items: [1, null, 'x'], obj: { b: 1, a: 'é' }, list: [0, 'one'] };
  const template = '{{ user.name | trim | upper }}|{{ items | join(" - ") }}|{{ obj | json }}|{{ list[1] }}|{{ missing }}|{{ items | join }}|{{ user.name | shout }}';
  assert.equal(run('string_template', { template, vars }), 'BOB|1 -  - x|{"a": "é", "b": 1}|one||1, , x| bob ');
  assert.equal(run('string_template', { template: '{{a}}', vars: 'nope' }), '');
});

test('case, trim, length and substring stringify with pyStr', () => {
  assert.equal(run('uppercase', { text: 'abc' }), 'ABC');
  assert.equal(run('lowercase', { text: 'ÀB' }), 'àb');
  assert.equal(run('lowercase', {}), '');
  assert.equal(run('trim', { text: null }), 'None'); // a present null is str(None)
  assert.equal(run('trim', { text: '  x \n' }), 'x');
  assert.equal(run('length', { text: 'a👍' }), 2); // code points
  assert.equal(run('length', { text: [1, 2] }), 6); // len('[1, 2]')
  assert.equal(run('substring', { text: 'hello👍', start: -2 }), 'o👍');
  assert.equal(run('substring', { text: 'hello', start: 1, end: 3 }), 'el');
  assert.equal(run('substring', { text: 'hello', start: 1, end: -1 }), 'ell');
  assert.equal(run('substring', { text: 'hello', start: 10 }), '');
});

test('is_empty_string, contains, replace', () => {
  assert.equal(run('is_empty_string', {}), true);
  assert.equal(run('is_empty_string', { text: null }), true);
  assert.equal(run('is_empty_string', { text: ' ' }), false);
  assert.equal(run('contains', { text: 'abc', pattern: 'b' }), true);
  assert.equal(run('contains', { text: 'abc', pattern: '' }), false);
  assert.equal(run('contains', { text: 'abc' }), false);
  assert.equal(run('replace', { text: 'a.a.a', pattern: '.', replacement: '-' }), 'a-a-a');
  assert.equal(run('replace', { text: 'aaa', pattern: 'a', replacement: 'b', mode: 'first' }), 'baa');
  assert.equal(run('replace', { text: 'aaa', pattern: 'a', replacement: 'b', mode: '2' }), 'bba');
  assert.equal(run('replace', { text: 'aaa', pattern: 'a', mode: 'weird' }), '');
  assert.equal(run('replace', { text: 'aaa', pattern: null, replacement: 'b' }), 'aaa');
});

test('make_array skips nulls and absent pins; array_concat flattens one level', () => {
  const o = { inputPins: ['a', 'b', 'c'] };
  assert.deepEqual(run('make_array', { a: 1, b: null, c: [2, 3] }, o), [1, [2, 3]]);
  assert.deepEqual(run('make_array', { b: 'x', a: 'y' }), ['y', 'x']);
  assert.deepEqual(run('array_concat', { a: [1, [2]], c: 3, b: null }, o), [1, [2], 3]);
});

test('get_element coerces the index and reports found', () => {
  assert.deepEqual(run('get_element', { array: ['a', 'b'], index: 1 }), { result: 'b', found: true });
  assert.deepEqual(run('get_element', { array: ['a', 'b'], index: -1 }), { result: 'b', found: true });
  assert.deepEqual(run('get_element', { array: ['a', 'b'], index: '1.9' }), { result: 'b', found: true });
  assert.deepEqual(run('get_element', { array: ['a', 'b'], index: true }), { result: 'a', found: true });
  assert.deepEqual(run('get_element', { array: ['a'], index: 3, default: 'd' }), { result: 'd', found: false });
  assert.deepEqual(run('get_element', { array: 'not a list' }), { result: null, found: false });
});

test('get_random_element uses the injected RNG', () => {
  assert.deepEqual(run('get_random_element', { array: ['a', 'b', 'c', 'd'] }, { random: 0.5 }), { result: 'c', found: true });
  assert.deepEqual(run('get_random_element', { array: [], default: 0 }), { result: 0, found: false });
});

test('get / set / merge / make_object', () => {
  const object = { a: { b: [{ c: 7 }] }, z: null };
  assert.deepEqual(run('get', { object, key: 'a.b[0].c' }), { value: 7 });
  assert.deepEqual(run('get', { object, key: 'z', default: 'd' }), { value: 'd' });
  assert.deepEqual(run('get', { object, key: 'nope' }), { value: null });
  const input = { a: { keep: 1 }, s: 'x' };
  assert.deepEqual(run('set', { object: input, key: 'a.b.c', value: 2 }), { a: { keep: 1, b: { c: 2 } }, s: 'x' });
  assert.deepEqual(run('set', { object: input, key: 's.t', value: 1 }), { a: { keep: 1 }, s: { t: 1 } });
  assert.deepEqual(input, { a: { keep: 1 }, s: 'x' }); // input untouched
  assert.deepEqual(run('set', { key: 'k', value: 1 }), { k: 1 });
  assert.deepEqual(run('merge', { a: { x: 1, y: 1 }, b: { y: 2 } }), { x: 1, y: 2 });
  assert.deepEqual(run('merge', { b: { y: 2 } }), { y: 2 });
  assert.throws(() => run('merge', { a: null }), { name: 'TypeError' });
  assert.deepEqual(run('make_object', { x: 1, _hidden: 2, y: null }), { x: 1, y: null });
});

test('array_map / array_filter / array_length / has_tools / array_append', () => {
  const items = [{ k: 1, n: 'a' }, { k: 2, n: 'b' }, 'raw', { n: 'c' }];
  assert.deepEqual(run('array_map', { items, key: 'n' }), ['a', 'b', 'raw', 'c']);
  assert.deepEqual(run('array_map', { items: [{ x: 1 }, { y: 2 }], key: 'x' }), [1, null]);
  assert.deepEqual(run('array_filter', { items, key: 'k', value: 1 }), [{ k: 1, n: 'a' }]);
  assert.deepEqual(run('array_filter', { items: [1, '1', true, 2], value: 1 }), [1, true]);
  assert.deepEqual(run('array_filter', { items, key: 'k' }), [{ n: 'c' }]); // a missing key reads as None
  assert.throws(() => run('array_map', { items: null }), { name: 'TypeError' });
  assert.equal(run('array_length', { array: [1, 2] }), 2);
  assert.equal(run('array_length', { array: 'abc' }), 0);
  assert.equal(run('has_tools', { array: [{ name: 't' }] }), true);
  assert.equal(run('has_tools', { array: null }), false);
  assert.deepEqual(run('array_append', { array: [1], item: 2 }), [1, 2]);
  assert.deepEqual(run('array_append', { item: 2 }), [2]);
  assert.deepEqual(run('array_append', { array: 'x', item: 'y' }), ['x', 'y']);
});

test('array_dedup is stable, by item or by key path', () => {
  assert.deepEqual(run('array_dedup', { array: [1, '1', 1, true, { a: 1, b: 2 }, { b: 2, a: 1 }] }), [1, '1', true, { a: 1, b: 2 }]);
  assert.deepEqual(run('array_dedup', { array: [{ id: 1, x: 1 }, { id: 1, x: 2 }, { x: 3 }, { x: 3 }], key: 'id' }), [{ id: 1, x: 1 }, { x: 3 }]);
  assert.deepEqual(run('array_dedup', { array: 'nope' }), []);
});

test('parse_json strips fences, finds embedded JSON, accepts Python literals, wraps scalars', () => {
  assert.deepEqual(run('parse_json', { text: 'Sure:\n```json\n{"a": 1, "b": [true, null]}\n```' }), { a: 1, b: [true, null] });
  assert.deepEqual(run('parse_json', { text: '```\n[1, 2]\n```' }), [1, 2]);
  assert.deepEqual(run('parse_json', { text: 'The answer is {"x": [1, {"y": "}"}]} hope it helps' }), { x: [1, { y: '}' }] });
  assert.deepEqual(run('parse_json', { text: 'bad {oops} then [3]' }), [3]);
  assert.deepEqual(run('parse_json', { text: "{'a': True, 'b': None, 'c': (1, 2), 1: 'x', 'd': 'it\\'s'}" }), { a: true, b: null, c: [1, 2], 1: 'x', d: "it's" });
  assert.deepEqual(run('parse_json', { text: '42' }), { value: 42 });
  assert.deepEqual(run('parse_json', { text: '"hi"' }), { value: 'hi' });
  assert.equal(run('parse_json', { text: '42', wrap_scalar: false }), 42);
  assert.deepEqual(run('parse_json', { text: 'None' }), { value: null });
  const obj = { already: 'parsed' };
  assert.equal(run('parse_json', { text: obj }), obj);
  assert.throws(() => run('parse_json', { text: 'not json' }), { name: 'ValueError', message: /^Invalid JSON: / });
  assert.throws(() => run('parse_json', { text: 'null' }), /Invalid JSON/); // reference quirk: JSON null falls through
  assert.throws(() => run('parse_json', { text: '   ' }), /non-empty 'text'/);
  assert.throws(() => run('parse_json', {}), /non-empty 'text'/);
});

test('stringify_json modes; JSON-ish strings are parsed first', () => {
  const value = { b: 1, a: [1, 'é'] };
  assert.equal(run('stringify_json', { value }), '{\n  "b": 1,\n  "a": [\n    1,\n    "é"\n  ]\n}');
  assert.equal(run('stringify_json', { value, mode: 'minified' }), '{"b":1,"a":[1,"é"]}');
  assert.equal(run('stringify_json', { value, mode: 'none', sort_keys: true }), '{"a": [1, "é"], "b": 1}');
  assert.equal(run('stringify_json', { value, indent: 0 }), '{"b":1,"a":[1,"é"]}');
  assert.equal(run('stringify_json', { value: [1], indent: 4 }), '[\n    1\n]');
  assert.equal(run('stringify_json', { value: '```json\n{"k": "v"}\n```', mode: 'minified' }), '{"k":"v"}');
  assert.equal(run('stringify_json', { value: 'plain text', mode: 'minified' }), '"plain text"');
  assert.equal(run('stringify_json', { value: 'null', mode: 'minified' }), '"null"');
  assert.equal(run('stringify_json', {}), 'null');
});

test('break_object outputs one key per selected path; JSON strings are parsed', () => {
  const data = { breakConfig: { selectedPaths: ['a.b.0', ' name ', 'missing.x', ''] } };
  assert.deepEqual(run('break_object', { object: { a: { b: [5] }, name: 'n' } }, { data }), { 'a.b.0': 5, name: 'n', 'missing.x': null });
  assert.deepEqual(run('break_object', { object: '```json\n{"a": {"b": [6]}}\n```' }, { data }), { 'a.b.0': 6, name: null, 'missing.x': null });
  assert.deepEqual(run('break_object', { object: 'not json' }, { data }), { 'a.b.0': null, name: null, 'missing.x': null });
  assert.deepEqual(run('break_object', { object: '7' }, { data: { breakConfig: { selectedPaths: ['value'] } } }), { value: 7 });
});

test('make_context and tool_parameters', () => {
  assert.deepEqual(run('make_context', { task: 5, messages: 'hi', context_extra: { k: 1, task: 'old' } }), { context: { k: 1, task: '5', messages: ['hi'] } });
  assert.deepEqual(run('make_context', {}), { context: { task: '', messages: [] } });
  const o = { inputPins: ['path', 'limit'], data: { toolParametersConfig: { tool: ' read_file ' } } };
  assert.deepEqual(run('tool_parameters', { path: 'a.txt', limit: null }, o), {
    path: 'a.txt', limit: null, tool_call: { name: 'read_file', arguments: { path: 'a.txt' } },
  });
});

test('literals return {value: literalValue} verbatim; tools_allowlist returns {tools}', () => {
  assert.deepEqual(run('literal_string', {}, { data: { literalValue: 'a\\nb' } }), { value: 'a\\nb' });
  assert.deepEqual(run('literal_number', {}, { data: { literalValue: '3' } }), { value: '3' }); // not coerced
  assert.deepEqual(run('literal_boolean', {}, { data: { literalValue: false } }), { value: false });
  assert.deepEqual(run('literal_json', {}, { data: { literalValue: { $artifact: 'x' } } }), { value: { $artifact: 'x' } });
  assert.deepEqual(run('literal_array', {}, {}), { value: null });
  const schema = { type: 'object', properties: { a: { type: 'string' } } };
  assert.deepEqual(run('json_schema', {}, { data: { literalValue: schema } }), { value: schema });
  assert.deepEqual(run('tools_allowlist', {}, { data: { literalValue: [' read_file', 'x', '', 'read_file', 3] } }), { tools: ['read_file', 'x'] });
  assert.deepEqual(run('tools_allowlist', {}, { data: { literalValue: 'read_file' } }), { tools: [] });
});

test('get_var reads current vars by dotted path', () => {
  const vars = { user: { tags: ['a', 'b'] }, zero: 0 };
  assert.deepEqual(run('get_var', { name: 'user.tags.1' }, { vars }), { value: 'b' });
  assert.deepEqual(run('get_var', { name: ' zero ' }, { vars }), { value: 0 });
  assert.deepEqual(run('get_var', { name: 'nope' }, { vars }), { value: null });
  assert.deepEqual(run('get_var', { name: '' }, { vars }), { value: null });
  assert.deepEqual(run('get_var', {}, { vars }), { value: null });
});

test('var_decl: var if it matches the type, else the default if it does, else zero value', () => {
  const decl = (literalValue: unknown, vars: Record<string, any>) => run('var_decl', {}, { data: { literalValue }, vars });
  assert.deepEqual(decl({ name: 'n', type: 'number', default: 5 }, { n: 2 }), { name: 'n', value: 2 });
  assert.deepEqual(decl({ name: 'n', type: 'number', default: 5 }, { n: '2' }), { name: 'n', value: 5 });
  assert.deepEqual(decl({ name: 'n', type: 'number', default: 'x' }, {}), { name: 'n', value: 0 });
  assert.deepEqual(decl({ name: 'n', type: 'number', default: 5 }, { n: true }), { name: 'n', value: 5 });
  assert.deepEqual(decl({ name: 'o', type: 'object' }, { o: [1] }), { name: 'o', value: {} });
  assert.deepEqual(decl({ name: 'a', type: 'weird' }, { a: 'kept' }), { name: 'a', value: 'kept' }); // unknown type → any
  assert.deepEqual(decl({ name: 'a', type: 'any' }, {}), { name: 'a', value: null });
});

test('bool_var reads a boolean var or its default', () => {
  const bv = (literalValue: unknown, vars: Record<string, any>) => run('bool_var', {}, { data: { literalValue }, vars });
  assert.deepEqual(bv('flag', { flag: true }), { name: 'flag', value: true });
  assert.deepEqual(bv('flag', { flag: 1 }), { name: 'flag', value: false });
  assert.deepEqual(bv({ name: 'flag', default: true }, {}), { name: 'flag', value: true });
  assert.deepEqual(bv({ name: 'flag', default: 'yes' }, {}), { name: 'flag', value: false });
});

test('get_context exposes context, task and messages from vars.context', () => {
  assert.deepEqual(run('get_context', {}, { vars: { context: { task: 't', messages: [{ role: 'user' }], x: 1 } } }), {
    context: { task: 't', messages: [{ role: 'user' }], x: 1 }, task: 't', messages: [{ role: 'user' }],
  });
  assert.deepEqual(run('get_context', {}, { vars: {} }), { context: {}, task: '', messages: [] });
  assert.deepEqual(run('get_context', {}, { vars: { context: { task: 0, messages: 'm' } } }), { context: { task: 0, messages: 'm' }, task: '', messages: ['m'] });
});

test('system_datetime formats the injected clock in local time', () => {
  const nowMs = Date.UTC(2026, 0, 9, 12, 34, 56, 123);
  const out = run('system_datetime', {}, { nowMs });
  assert.deepEqual(Object.keys(out), ['iso', 'timezone', 'utc_offset_minutes', 'locale']);
  assert.match(out.iso, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.123000[+-]\d{2}:\d{2}$/);
  assert.equal(Date.parse(out.iso), nowMs); // same instant, whatever the local zone
  assert.equal(out.utc_offset_minutes, -new Date(nowMs).getTimezoneOffset() || 0);
  assert.equal(typeof out.timezone, 'string');
  assert.doesNotMatch(run('system_datetime', {}, { nowMs: Date.UTC(2026, 0, 1) }).iso, /\.\d/); // no fraction at .000
});
