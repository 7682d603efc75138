// String nodes (spec §5.4).

import { isPlainObject } from '../../model/json.js';
import { pyError, pyGet, pyInt, pyJsonDumps, pyRepr, pyStr, pyStrip, pyTruthy, pyTypeName, toList } from '../py.js';
import { getByIndexedPath } from '../../model/paths.js';
import type { PureLogic } from '../types.js';
import { type NodeDefinition, pureNodes } from './definition.js';

/** The UI stores `\n`, `\t`, `\r` as two-character escapes in separators/delimiters. */
const decodeEscapes = (s: string): string => s.replaceAll('\\n', '\n').replaceAll('\\t', '\t').replaceAll('\\r', '\r');

/** `str(v)` with null → "" (the reference's `"" if v is None else str(v)`). */
const strOrEmpty = (v: unknown): string => (v === null || v === undefined ? '' : pyStr(v));

/**
 * Values of the pins present in the input, in declared order. Pin values are kept verbatim
 * (a default of "\\n" stays backslash-n); only the separator is unescaped.
 */
const concat: PureLogic = (inputs, nc) => {
  const sep = nc.node.data.concatConfig?.separator;
  const separator = decodeEscapes(typeof sep === 'string' ? sep : ' ');
  let order = nc.inputPins;
  if (!order.length) {
    // No pin metadata: single letters a..z first, then the other keys, each sorted.
    const keys = Object.keys(inputs);
    const letters = keys.filter((k) => /^[a-z]$/.test(k)).sort();
    order = [...letters, ...keys.filter((k) => !letters.includes(k)).sort()];
  }
  return order.filter((p) => Object.hasOwn(inputs, p)).map((p) => strOrEmpty(inputs[p])).join(separator);
};

/** Python `str.split(sep, maxsplit)` (JS `split` with a limit drops the remainder instead). */
function pySplit(text: string, sep: string, maxsplit: number): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let at = text.indexOf(sep); at !== -1 && (maxsplit < 0 || parts.length < maxsplit); at = text.indexOf(sep, start)) {
    parts.push(text.slice(start, at));
    start = at + sep.length;
  }
  parts.push(text.slice(start));
  return parts;
}

const split: PureLogic = (inputs) => {
  const text = strOrEmpty(pyGet(inputs, 'text', ''));
  const delimiter = decodeEscapes(strOrEmpty(pyGet(inputs, 'delimiter', ',')));
  let parts: string[];
  if (delimiter === '') parts = text ? [text] : [];
  else {
    let maxsplit = -1;
    if (pyGet(inputs, 'maxsplit') !== null) {
      try {
        maxsplit = pyInt(inputs.maxsplit);
      } catch {
        maxsplit = -1;
      }
    }
    parts = pySplit(text, delimiter, maxsplit);
  }
  if (pyTruthy(pyGet(inputs, 'trim', true))) parts = parts.map(pyStrip);
  if (pyTruthy(pyGet(inputs, 'drop_empty', true))) parts = parts.filter((p) => p !== '');
  return parts;
};

const join: PureLogic = (inputs) => {
  const list = toList(pyGet(inputs, 'items'));
  // A present null delimiter is "None" in the reference (`str(None)`).
  const delimiter = decodeEscapes(pyStr(pyGet(inputs, 'delimiter', ',')));
  return list.map(strOrEmpty).join(delimiter);
};

/** One `{field!conv:spec}` replacement of Python `str.format(**values)`. */
function formatField(field: string, values: Record<string, any>): string {
  const m = /^([^.[!:]*)((?:\.[^.[!:]*|\[[^\]]*\])*)(?:!(.))?(?::(.*))?$/s.exec(field);
  if (!m) throw pyError('ValueError', `Invalid format field: ${field}`);
  const [, name, accessors, conversion, spec] = m;
  if (name === '' || /^\d+$/.test(name)) {
    throw pyError('IndexError', `Replacement index ${name || 0} out of range for positional args tuple`);
  }
  if (!Object.hasOwn(values, name)) throw pyError('KeyError', pyRepr(name));
  let value = values[name];
  for (const acc of accessors.match(/\.[^.[]*|\[[^\]]*\]/g) ?? []) {
    if (acc.startsWith('.')) throw pyError('AttributeError', `'${pyTypeName(value)}' object has no attribute ${pyRepr(acc.slice(1))}`);
    const key = acc.slice(1, -1);
    const idx = /^\d+$/.test(key) ? Number(key) : key;
    const container = typeof value === 'string' ? Array.from(value) : value;
    if (Array.isArray(container) && typeof idx === 'number' && idx < container.length) value = container[idx];
    else if (isPlainObject(value) && typeof idx === 'string' && Object.hasOwn(value, idx)) value = value[idx];
    else throw pyError(Array.isArray(container) ? 'IndexError' : 'KeyError', pyRepr(idx));
  }
  if (conversion !== undefined && !'rsa'.includes(conversion)) {
    throw pyError('ValueError', `Unknown conversion specifier ${conversion}`);
  }
  // Format specs (`{x:>10}`) are not supported: fail loudly rather than render differently.
  if (spec) throw pyError('ValueError', `Unsupported format spec '${spec}'`);
  return conversion === 'r' || conversion === 'a' ? pyRepr(value) : pyStr(value);
}

function pyFormat(template: string, values: Record<string, any>): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === '}') {
      if (template[i + 1] !== '}') throw pyError('ValueError', "Single '}' encountered in format string");
      out += '}';
      i += 2;
    } else if (c !== '{') {
      out += c;
      i++;
    } else if (template[i + 1] === '{') {
      out += '{';
      i += 2;
    } else {
      let depth = 1;
      let j = i + 1;
      for (; j < template.length && depth; j++) depth += template[j] === '{' ? 1 : template[j] === '}' ? -1 : 0;
      if (depth) throw pyError('ValueError', i === template.length - 1 ? "Single '{' encountered in format string" : "expected '}' before end of string");
      out += formatField(template.slice(i + 1, j - 1), values);
      i = j;
    }
  }
  return out;
}

const format: PureLogic = (inputs) => {
  const template = pyStr(pyGet(inputs, 'template', ''));
  const values = pyGet(inputs, 'values', {});
  return isPlainObject(values) ? pyFormat(template, values) : template;
};

/** `{{ path | filter ... }}` filters; unknown ones are ignored. */
function applyFilter(value: unknown, filter: string): unknown {
  if (filter === 'json') return pyJsonDumps(value, { sortKeys: true });
  if (filter.startsWith('join')) {
    let delim = ', ';
    const m = /^join\((.*)\)$/s.exec(filter);
    if (m) {
      const raw = m[1].trim();
      const quoted = (raw.startsWith('"') && raw.endsWith('"')) || (raw.startsWith("'") && raw.endsWith("'"));
      delim = quoted ? raw.slice(1, -1) : raw;
    }
    return Array.isArray(value) ? value.map(strOrEmpty).join(delim) : strOrEmpty(value);
  }
  if (filter === 'trim') return pyStrip(strOrEmpty(value));
  if (filter === 'lower') return strOrEmpty(value).toLowerCase();
  if (filter === 'upper') return strOrEmpty(value).toUpperCase();
  return value;
}

const stringTemplate: PureLogic = (inputs) => {
  const raw = pyGet(inputs, 'template', '');
  const template = pyTruthy(raw) ? pyStr(raw) : '';
  const vars = pyGet(inputs, 'vars');
  const scope = isPlainObject(vars) ? vars : {};
  return template.replace(/\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    const [path, ...filters] = expr.split('|').map((p) => p.trim());
    const value = getByIndexedPath(scope, path);
    if (value === null) return '';
    return strOrEmpty(filters.filter(Boolean).reduce(applyFilter, value));
  });
};

const text = (inputs: Record<string, any>): string => pyStr(pyGet(inputs, 'text', ''));

const substring: PureLogic = (inputs) => {
  const start = pyInt(pyGet(inputs, 'start', 0));
  const end = pyGet(inputs, 'end');
  // Array.slice clamps negative/out-of-range bounds exactly like a Python slice.
  return Array.from(text(inputs)).slice(start, end === null ? undefined : pyInt(end)).join('');
};

const contains: PureLogic = (inputs) => {
  const pattern = pyGet(inputs, 'pattern');
  if (pattern === null || pyStr(pattern) === '') return false;
  return strOrEmpty(pyGet(inputs, 'text')).includes(pyStr(pattern));
};

/** Python `str.replace(old, new, count)` with count < 0 meaning "all". */
function replaceCount(s: string, pattern: string, replacement: string, count: number): string {
  if (count < 0) return s.split(pattern).join(replacement);
  return pySplit(s, pattern, count).join(replacement);
}

const replace: PureLogic = (inputs) => {
  const s = strOrEmpty(pyGet(inputs, 'text'));
  const patternRaw = pyGet(inputs, 'pattern');
  const pattern = patternRaw === null ? '' : pyStr(patternRaw);
  if (pattern === '') return s;
  const replacement = strOrEmpty(pyGet(inputs, 'replacement'));
  const modeRaw = pyGet(inputs, 'mode');
  const mode = modeRaw === null ? 'all' : pyStrip(pyStr(modeRaw)).toLowerCase();
  if (mode === 'first' || mode === 'once' || mode === '1') return replaceCount(s, pattern, replacement, 1);
  let count = -1;
  try {
    if (!['all', '*', 'global'].includes(mode)) count = pyInt(modeRaw); // numeric counts, e.g. "2"
  } catch {
    count = -1;
  }
  return replaceCount(s, pattern, replacement, count);
};

export const STRING_NODES: NodeDefinition[] = pureNodes({
  concat,
  split,
  join,
  format,
  string_template: stringTemplate,
  uppercase: (inputs) => text(inputs).toUpperCase(),
  lowercase: (inputs) => text(inputs).toLowerCase(),
  trim: (inputs) => pyStrip(text(inputs)),
  substring,
  length: (inputs) => Array.from(text(inputs)).length,
  is_empty_string: (inputs) => strOrEmpty(pyGet(inputs, 'text')) === '',
  contains,
  replace,
});
