// Python-compatibility value helpers (spec runtime-visualflow §0). Node semantics in the
// reference are defined by Python built-ins (bool(), str(), ==, <, float(), int(), json.dumps);
// these reproduce them on JSON values so every node shares one definition.

import { isPlainObject } from '../model/json.js';
import { defineKey } from '../model/paths.js';

type PyErrorType = 'ValueError' | 'TypeError' | 'KeyError' | 'IndexError' | 'AttributeError' | 'ZeroDivisionError';

/** An Error whose `name` is the Python exception type the reference would raise. */
export function pyError(type: PyErrorType, message: string): Error {
  const e = new Error(message);
  e.name = type;
  return e;
}

/** Python's `type(v).__name__` for a JSON value (JS cannot tell int 1 from float 1.0). */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  return Array.isArray(v) ? 'list' : 'dict';
}

/** `dict.get(key, dflt)`: the default applies only when the key is absent (a present null stays null). */
export function pyGet(obj: Record<string, any>, key: string, dflt: any = null): any {
  return Object.hasOwn(obj, key) && obj[key] !== undefined ? obj[key] : dflt;
}

// Python's str.isspace() set: unlike JS `\s` it includes \x1c-\x1f and \x85 but not the BOM.
const PY_WS = '[\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const STRIP_RE = new RegExp(`^${PY_WS}+|${PY_WS}+$`, 'g');

/** Python `str.strip()`. */
export const pyStrip = (s: string): string => s.replace(STRIP_RE, '');

export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false) return false;
  if (typeof v === 'number') return v !== 0; // NaN is truthy in Python
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/**
 * Integers print as digits (JS switches to `1e+21` exactly where Python's float repr does);
 * other numbers use Python's float repr, whose exponent form starts below 1e-4 (`1e-05`).
 */
function pyNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (Number.isInteger(n) || Math.abs(n) >= 1e-4) return String(n);
  const [mant, exp] = n.toExponential().split('e');
  const e = Number(exp);
  return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** Python `repr` of a str: single quotes unless it contains `'` and no `"`. */
function pyStrRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    if (ch === '\\' || ch === q) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && /[\p{C}\p{Z}]/u.test(ch)) {
      // Non-printable per str.isprintable(): \xNN, \uNNNN or \UNNNNNNNN.
      const cp = ch.codePointAt(0)!;
      const [prefix, width] = cp <= 0xff ? ['x', 2] : cp <= 0xffff ? ['u', 4] : ['U', 8];
      out += `\\${prefix}${cp.toString(16).padStart(width, '0')}`;
    } else out += ch;
  }
  return out + q;
}

/** Python `repr(v)`: containers render as `{'k': 'v', 'n': None}` / `['a', 1]`. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'string') return pyStrRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  const entries = Object.entries(v as object).filter(([, x]) => x !== undefined);
  return `{${entries.map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
}

/** Python `str(v)`. Compat: integer-valued floats print without `.0` (spec §0 accepted deviation). */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

/** Python `==` on JSON values. */
export function pyEq(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === null || b === null) return a === b;
  const numA = typeof a === 'number' || typeof a === 'boolean';
  const numB = typeof b === 'number' || typeof b === 'boolean';
  if (numA || numB) return numA && numB && Number(a) === Number(b);
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => pyEq(x, b[i]));
  }
  const ka = Object.keys(a as object).filter((k) => (a as any)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as any)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b as object, k) && pyEq((a as any)[k], (b as any)[k]));
}

export type CmpOp = '<' | '<=' | '>' | '>=';

function applyOp(sign: number, op: CmpOp): boolean {
  switch (op) {
    case '<': return sign < 0;
    case '<=': return sign <= 0;
    case '>': return sign > 0;
    case '>=': return sign >= 0;
  }
}

/** Code-point order (JS `<` compares UTF-16 units, which differs above U+FFFF). */
function cmpCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    if (x.value !== y.value) return x.value.codePointAt(0)! - y.value.codePointAt(0)!;
  }
}

/**
 * Python ordering comparison. Pairings Python refuses (TypeError: None, str vs number,
 * dicts, ...) are "incomparable" and yield false, as the reference catches the error.
 */
export function pyCmp(a: unknown, b: unknown, op: CmpOp): boolean {
  const numA = typeof a === 'number' || typeof a === 'boolean';
  const numB = typeof b === 'number' || typeof b === 'boolean';
  if (numA && numB) {
    const x = Number(a);
    const y = Number(b);
    // Direct comparison keeps NaN semantics (every comparison with NaN is false).
    return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
  }
  if (typeof a === 'string' && typeof b === 'string') return applyOp(cmpCodePoints(a, b), op);
  if (Array.isArray(a) && Array.isArray(b)) {
    // Lexicographic: the first unequal pair decides; otherwise the shorter list is smaller.
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (!pyEq(a[i], b[i])) return pyCmp(a[i], b[i], op);
    return applyOp(a.length - b.length, op);
  }
  return false;
}

const FLOAT_RE = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const FLOAT_SPECIAL_RE = /^([+-]?)(inf|infinity|nan)$/i;
const INT_RE = /^[+-]?\d(?:_?\d)*$/;

/** Python `float(v)`. */
export function pyFloat(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const s = pyStrip(v);
    if (FLOAT_RE.test(s)) return Number(s.replaceAll('_', ''));
    const special = FLOAT_SPECIAL_RE.exec(s);
    if (special) return special[2].toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
    throw pyError('ValueError', `could not convert string to float: ${pyRepr(v)}`);
  }
  throw pyError('TypeError', `float() argument must be a string or a real number, not '${pyTypeName(v)}'`);
}

function truncFinite(n: number): number {
  if (Number.isNaN(n)) throw pyError('ValueError', 'cannot convert float NaN to integer');
  if (!Number.isFinite(n)) throw pyError('ValueError', 'cannot convert float infinity to integer');
  return Math.trunc(n) + 0; // `+ 0` turns -0 into 0
}

/** Python `int(v)`: numbers truncate toward zero; strings must be integer literals. */
export function pyInt(v: unknown): number {
  if (typeof v === 'string') {
    const s = pyStrip(v);
    if (!INT_RE.test(s)) throw pyError('ValueError', `invalid literal for int() with base 10: ${pyRepr(v)}`);
    return Number(s.replaceAll('_', ''));
  }
  if (typeof v === 'number' || typeof v === 'boolean') return truncFinite(pyFloat(v));
  throw pyError('TypeError', `int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(v)}'`);
}

/** The reference's lenient `int(float(v))` coercion, with `fallback` wherever Python would raise. */
export function pyIntOr(v: unknown, fallback: number): number {
  try {
    return truncFinite(pyFloat(v));
  } catch {
    return fallback;
  }
}

/** Python `list(v)`: arrays copy, strings split into characters, dicts yield their keys. */
export function pyList(v: unknown): any[] {
  if (Array.isArray(v)) return [...v];
  if (typeof v === 'string') return Array.from(v);
  if (isPlainObject(v)) return Object.keys(v);
  throw pyError('TypeError', `'${pyTypeName(v)}' object is not iterable`);
}

/** The reference's lenient list coercion: lists copy, null → [], any other value is wrapped. */
export function toList(v: unknown): any[] {
  if (Array.isArray(v)) return [...v];
  return v === null || v === undefined ? [] : [v];
}

/** Python `dict(v)`: a shallow copy of an object, or of a list of [key, value] pairs. */
export function pyDict(v: unknown): Record<string, any> {
  if (isPlainObject(v)) return { ...v };
  if (Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2)) {
    const out: Record<string, any> = {};
    for (const [k, x] of v) defineKey(out, pyStr(k), x);
    return out;
  }
  throw pyError('TypeError', `cannot convert '${pyTypeName(v)}' object to a dictionary`);
}

export interface JsonDumpsOptions {
  /** Pretty-print with this indent (Python `indent=`). */
  indent?: number;
  sortKeys?: boolean;
  /** Python `separators=(",", ":")`. */
  compact?: boolean;
}

/** Python `json.dumps(v, ensure_ascii=False, ...)`, including its default `", "`/`": "` spacing. */
export function pyJsonDumps(v: unknown, opts: JsonDumpsOptions = {}): string {
  const { indent, sortKeys = false, compact = false } = opts;
  const itemSep = compact || indent !== undefined ? ',' : ', ';
  const keySep = compact ? ':' : ': ';
  const enc = (x: unknown, depth: number): string => {
    if (x === null || x === undefined) return 'null';
    if (typeof x === 'boolean') return x ? 'true' : 'false';
    if (typeof x === 'number') return Number.isNaN(x) ? 'NaN' : Number.isFinite(x) ? pyNumber(x) : x > 0 ? 'Infinity' : '-Infinity';
    if (typeof x === 'string') return JSON.stringify(x);
    let parts: string[];
    if (Array.isArray(x)) parts = x.map((e) => enc(e, depth + 1));
    else {
      const keys = Object.keys(x as object).filter((k) => (x as any)[k] !== undefined);
      if (sortKeys) keys.sort();
      parts = keys.map((k) => `${JSON.stringify(k)}${keySep}${enc((x as any)[k], depth + 1)}`);
    }
    const [open, close] = Array.isArray(x) ? ['[', ']'] : ['{', '}'];
    if (parts.length === 0) return open + close;
    if (indent === undefined) return open + parts.join(itemSep) + close;
    const nl = `\n${' '.repeat(indent * (depth + 1))}`;
    return `${open}${nl}${parts.join(itemSep + nl)}\n${' '.repeat(indent * depth)}${close}`;
  };
  return enc(v, 0);
}
