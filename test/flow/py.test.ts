import assert from 'node:assert/strict';
import { test } from 'node:test';

import { pyCmp, pyDict, pyEq, pyFloat, pyGet, pyInt, pyIntOr, pyJsonDumps, pyList, pyRepr, pyStr, pyStrip, pyTruthy, toList } from '../../src/flow/py.js';
import { getByIndexedPath, getByPath, setByPath } from '../../src/model/paths.js';

test('pyTruthy follows Python bool()', () => {
  for (const v of [null, undefined, false, 0, '', [], {}]) assert.equal(pyTruthy(v), false, String(v));
  for (const v of [true, 1, -0.5, NaN, ' ', [0], { a: null }, 'False']) assert.equal(pyTruthy(v), true, String(v));
});

test('pyStr renders scalars like Python str()', () => {
  assert.equal(pyStr(null), 'None');
  assert.equal(pyStr(true), 'True');
  assert.equal(pyStr(false), 'False');
  assert.equal(pyStr('a\nb'), 'a\nb');
  assert.equal(pyStr(42), '42');
  assert.equal(pyStr(1), '1'); // accepted deviation: Python prints 1.0 for floats
  assert.equal(pyStr(0.1), '0.1');
  assert.equal(pyStr(1.5e-5), '1.5e-05');
  assert.equal(pyStr(1e-7), '1e-07');
  assert.equal(pyStr(0.0001), '0.0001');
  assert.equal(pyStr(1e21), '1e+21');
  assert.equal(pyStr(NaN), 'nan');
  assert.equal(pyStr(-Infinity), '-inf');
});

test('pyStr renders nested containers as Python repr', () => {
  assert.equal(pyStr({ k: 'v', n: null, b: true, l: ['a', 1, [], {}] }), "{'k': 'v', 'n': None, 'b': True, 'l': ['a', 1, [], {}]}");
  assert.equal(pyStr([{ x: [false, 2.5] }]), "[{'x': [False, 2.5]}]");
  assert.equal(pyStr([]), '[]');
  assert.equal(pyStr({}), '{}');
});

test('pyRepr quotes strings the way Python does', () => {
  assert.equal(pyRepr('abc'), "'abc'");
  assert.equal(pyRepr("it's"), '"it\'s"');
  assert.equal(pyRepr('say "hi"'), `'say "hi"'`);
  assert.equal(pyRepr(`both ' and "`), `'both \\' and "'`);
  assert.equal(pyRepr('a\\b\n\t\r'), "'a\\\\b\\n\\t\\r'");
  assert.equal(pyRepr('\x01\u00a0\u2028'), "'\\x01\\xa0\\u2028'");
  assert.equal(pyRepr('héllo 👍'), "'héllo 👍'");
});

test('pyEq: deep, numeric, bool == 1, string never equals number', () => {
  assert.equal(pyEq(1, 1.0), true);
  assert.equal(pyEq(true, 1), true);
  assert.equal(pyEq(false, 0), true);
  assert.equal(pyEq(true, 2), false);
  assert.equal(pyEq('1', 1), false);
  assert.equal(pyEq(null, null), true);
  assert.equal(pyEq(null, 0), false);
  assert.equal(pyEq(undefined, null), true);
  assert.equal(pyEq({ a: [1, { b: true }] }, { a: [1, { b: 1 }] }), true);
  assert.equal(pyEq({ a: 1 }, { a: 1, b: 2 }), false);
  assert.equal(pyEq([1, 2], [1, 2, 3]), false);
  assert.equal(pyEq([], {}), false);
  assert.equal(pyEq(NaN, NaN), false);
});

test('pyCmp: defined pairings compare, incomparable ones are false', () => {
  assert.equal(pyCmp(1, 2, '<'), true);
  assert.equal(pyCmp(true, 0.5, '>'), true);
  assert.equal(pyCmp(2, 2, '<='), true);
  assert.equal(pyCmp('abc', 'abd', '<'), true);
  assert.equal(pyCmp('b', 'abc', '>'), true);
  // Code-point order: U+FF5E sorts before U+1F600 (UTF-16 unit order would say the opposite).
  assert.equal(pyCmp('\uff5e', '\u{1f600}', '<'), true);
  assert.equal(pyCmp([1, 2], [1, 3], '<'), true);
  assert.equal(pyCmp([1, 2], [1, 2, 0], '<'), true);
  assert.equal(pyCmp([1, 2], [1, 2], '>='), true);
  for (const op of ['<', '<=', '>', '>='] as const) {
    assert.equal(pyCmp('abc', 0, op), false);
    assert.equal(pyCmp(null, 1, op), false);
    assert.equal(pyCmp(null, null, op), false);
    assert.equal(pyCmp({}, {}, op), false);
    assert.equal(pyCmp([1], ['a'], op), false); // first unequal pair is incomparable
  }
});

test('pyFloat follows float()', () => {
  assert.equal(pyFloat(2.5), 2.5);
  assert.equal(pyFloat(true), 1);
  assert.equal(pyFloat(' 3.5 '), 3.5);
  assert.equal(pyFloat('1e3'), 1000);
  assert.equal(pyFloat('.5'), 0.5);
  assert.equal(pyFloat('1_000'), 1000);
  assert.equal(pyFloat('-inf'), -Infinity);
  assert.equal(pyFloat('Infinity'), Infinity);
  assert.ok(Number.isNaN(pyFloat('nan')));
  assert.throws(() => pyFloat('abc'), { name: 'ValueError', message: "could not convert string to float: 'abc'" });
  assert.throws(() => pyFloat(''), { name: 'ValueError' });
  assert.throws(() => pyFloat('0x10'), { name: 'ValueError' });
  assert.throws(() => pyFloat(null), { name: 'TypeError' });
  assert.throws(() => pyFloat([1]), { name: 'TypeError' });
});

test('pyInt follows int(): numbers truncate, strings must be integer literals', () => {
  assert.equal(pyInt(2.9), 2);
  assert.equal(pyInt(-2.9), -2);
  assert.equal(pyInt(true), 1);
  assert.equal(pyInt(' -12 '), -12);
  assert.throws(() => pyInt('2.5'), { name: 'ValueError' });
  assert.throws(() => pyInt(Infinity), { name: 'ValueError' });
  assert.throws(() => pyInt(null), { name: 'TypeError' });
  assert.equal(pyIntOr('2.9', 7), 2); // int(float("2.9"))
  assert.equal(pyIntOr('x', 7), 7);
  assert.equal(pyIntOr(null, 7), 7);
});

test('pyGet: default only for absent keys', () => {
  assert.equal(pyGet({}, 'a', 5), 5);
  assert.equal(pyGet({ a: null }, 'a', 5), null);
  assert.equal(pyGet({}, 'a'), null);
});

test('pyStrip uses Python whitespace', () => {
  assert.equal(pyStrip(' \t\x1fa b\n'), 'a b');
  assert.equal(pyStrip('\ufeffx'), '\ufeffx');
});

test('list/dict coercions', () => {
  assert.deepEqual(pyList('ab'), ['a', 'b']);
  assert.deepEqual(pyList({ a: 1, b: 2 }), ['a', 'b']);
  assert.throws(() => pyList(null), { name: 'TypeError' });
  assert.deepEqual(pyDict([['k', 1]]), { k: 1 });
  assert.throws(() => pyDict(null), { name: 'TypeError' });
  assert.deepEqual(toList(null), []);
  assert.deepEqual(toList('x'), ['x']);
});

test('pyJsonDumps matches json.dumps spacing', () => {
  const v = { b: [1, 'é'], a: null };
  assert.equal(pyJsonDumps(v), '{"b": [1, "é"], "a": null}');
  assert.equal(pyJsonDumps(v, { sortKeys: true, compact: true }), '{"a":null,"b":[1,"é"]}');
  assert.equal(pyJsonDumps(v, { indent: 2 }), '{\n  "b": [\n    1,\n    "é"\n  ],\n  "a": null\n}');
  assert.equal(pyJsonDumps({ e: [], o: {} }, { indent: 2 }), '{\n  "e": [],\n  "o": {}\n}');
  assert.equal(pyJsonDumps([NaN, Infinity, 1e-7]), '[NaN, Infinity, 1e-07]');
});

test('getByPath: dotted keys and numeric array segments, misses are null', () => {
  const obj = { a: { b: [{ c: 1 }, 'x'] }, '0': 'zero', n: null };
  assert.equal(getByPath(obj, 'a.b.0.c'), 1);
  assert.equal(getByPath(obj, 'a.b.1'), 'x');
  assert.equal(getByPath(obj, '0'), 'zero');
  assert.equal(getByPath(obj, 'a.b.2'), null);
  assert.equal(getByPath(obj, 'a.b.-1'), null);
  assert.equal(getByPath(obj, 'a.x.y'), null);
  assert.equal(getByPath(obj, 'n.x'), null);
  assert.equal(getByPath(obj, 'constructor'), null); // own properties only
  assert.equal(getByPath(null, 'a'), null);
});

test('getByIndexedPath also accepts [i] segments', () => {
  const obj = { a: [{ b: 'x' }] };
  assert.equal(getByIndexedPath(obj, 'a[0].b'), 'x');
  assert.equal(getByIndexedPath(obj, 'a.0.b'), 'x');
  assert.equal(getByIndexedPath({ a: { '0': 1 } }, 'a[0]'), null); // an index never reads an object key
  assert.equal(getByIndexedPath(obj, ''), null);
});

test('setByPath creates and replaces intermediates', () => {
  const obj: Record<string, any> = { a: 5, keep: 1 };
  setByPath(obj, 'a.b.c', 1);
  setByPath(obj, 'x', [1]);
  assert.deepEqual(obj, { a: { b: { c: 1 } }, keep: 1, x: [1] });
  const proto: Record<string, any> = {};
  setByPath(proto, '__proto__.polluted', true);
  assert.equal(({} as any).polluted, undefined);
  assert.deepEqual(Object.keys(proto), ['__proto__']);
});
