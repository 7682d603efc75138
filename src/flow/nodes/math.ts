// Math nodes (spec §5.3). Operands go through Python `float()`: an absent pin takes the
// default shown, but a present null throws like the reference's `float(None)`.

import { pyError, pyFloat, pyGet, pyInt, pyIntOr } from '../py.js';
import type { PureLogic } from '../types.js';
import { type NodeDefinition, pureNodes } from './definition.js';

const num = (inputs: Record<string, any>, pin: string, dflt: number): number => pyFloat(pyGet(inputs, pin, dflt));

/** Python float `%`: the result takes the sign of the divisor. */
function pyMod(a: number, b: number): number {
  const m = a % b;
  if (m === 0) return b < 0 ? -0 : 0;
  return m < 0 !== b < 0 ? m + b : m;
}

/** Exact value of a double as numerator / power-of-two denominator. */
function exactRatio(x: number): [bigint, bigint] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (expBits) mant |= 1n << 52n;
  const exp = expBits ? expBits - 1075 : -1074;
  const signed = hi >>> 31 ? -mant : mant;
  return exp >= 0 ? [signed << BigInt(exp), 1n] : [signed, 1n << BigInt(-exp)];
}

/**
 * Python `round(x, ndigits)`: exact arithmetic on the double's true value, ties to even, then
 * the nearest double to the decimal result (so round(2.675, 2) == 2.67, round(0.125, 2) == 0.12).
 */
function pyRound(x: number, ndigits: number): number {
  if (!Number.isFinite(x) || x === 0 || ndigits > 323) return x;
  if (ndigits < -308) return x < 0 ? -0 : 0;
  const [num, den] = exactRatio(x);
  const scale = 10n ** BigInt(Math.abs(ndigits));
  const n = ndigits >= 0 ? num * scale : num;
  const m = ndigits >= 0 ? den : den * scale;
  const abs = n < 0n ? -n : n;
  let k = abs / m;
  const twiceRem = (abs % m) * 2n;
  if (twiceRem > m || (twiceRem === m && k % 2n === 1n)) k += 1n;
  return Number(`${n < 0n ? '-' : ''}${k}e${-ndigits}`);
}

const divide: PureLogic = (inputs) => {
  const b = num(inputs, 'b', 1);
  if (b === 0) throw pyError('ValueError', 'Division by zero');
  return num(inputs, 'a', 0) / b;
};

const modulo: PureLogic = (inputs) => {
  const b = num(inputs, 'b', 1);
  if (b === 0) throw pyError('ValueError', 'Modulo by zero');
  return pyMod(num(inputs, 'a', 0), b);
};

const power: PureLogic = (inputs) => {
  const base = num(inputs, 'base', 0);
  const exp = num(inputs, 'exp', 1);
  if (base === 0 && exp < 0) throw pyError('ZeroDivisionError', '0.0 cannot be raised to a negative power');
  return base ** exp;
};

/** Bad bounds fall back to the defaults; reversed bounds are swapped. */
function bounds(inputs: Record<string, any>, lo: number, hi: number, coerce: (v: unknown, d: number) => number): [number, number] {
  const a = coerce(pyGet(inputs, 'min', lo), lo);
  const b = coerce(pyGet(inputs, 'max', hi), hi);
  return a <= b ? [a, b] : [b, a];
}

const floatOr = (v: unknown, d: number): number => {
  try {
    return pyFloat(v);
  } catch {
    return d;
  }
};

const randomInt: PureLogic = (inputs, nc) => {
  const [lo, hi] = bounds(inputs, 0, 100, pyIntOr);
  return lo + Math.floor(nc.ctx.random() * (hi - lo + 1));
};

const randomFloat: PureLogic = (inputs, nc) => {
  const [lo, hi] = bounds(inputs, 0, 1, floatOr);
  return lo === hi ? lo : lo + (hi - lo) * nc.ctx.random();
};

export const MATH_NODES: NodeDefinition[] = pureNodes({
  add: (inputs) => num(inputs, 'a', 0) + num(inputs, 'b', 0),
  subtract: (inputs) => num(inputs, 'a', 0) - num(inputs, 'b', 0),
  multiply: (inputs) => num(inputs, 'a', 0) * num(inputs, 'b', 0),
  divide,
  modulo,
  power,
  abs: (inputs) => Math.abs(num(inputs, 'value', 0)),
  round: (inputs) => pyRound(num(inputs, 'value', 0), pyInt(pyGet(inputs, 'decimals', 0))),
  random_int: randomInt,
  random_float: randomFloat,
});
