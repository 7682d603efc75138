// JSON text nodes (spec §5.5): parse_json, stringify_json, break_object. LLM output is messy,
// so parsing is lenient: Markdown fences, JSON embedded in prose, Python literal syntax.

import { isPlainObject } from '../../model/json.js';
import { pyError, pyGet, pyInt, pyJsonDumps, pyStr, pyStrip, pyTruthy } from '../py.js';
import { getByPath } from '../../model/paths.js';
import type { PureLogic } from '../types.js';
import { type NodeDefinition, pureNodes } from './definition.js';
import { literalEval } from './pyliteral.js';

const isContainer = (v: unknown): boolean => Array.isArray(v) || isPlainObject(v);

/** Drop a surrounding Markdown code fence (three backticks with an optional language tag). */
function stripCodeFence(text: string): string {
  const s = pyStrip(text);
  if (!s.startsWith('```')) return s;
  const nl = s.indexOf('\n');
  if (nl === -1) return pyStrip(s.replace(/^`+|`+$/g, ''));
  const body = s.slice(nl + 1);
  const end = body.lastIndexOf('```');
  return pyStrip(end === -1 ? body : body.slice(0, end));
}

/** Index of the bracket closing the one at `start` (string-aware), or -1. */
function closingBracket(s: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && --depth === 0) return i;
  }
  return -1;
}

/** Strict JSON, else the first of up to 64 `{`/`[` starts whose balanced span parses (like `raw_decode`). */
function parseJsonOrEmbedded(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    // fall through to the embedded-JSON search
  }
  let candidates = 0;
  for (let i = 0; i < s.length && candidates < 64; i++) {
    if (s[i] !== '{' && s[i] !== '[') continue;
    candidates++;
    const end = closingBracket(s, i);
    if (end === -1) continue;
    try {
      return JSON.parse(s.slice(i, end + 1));
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

/**
 * Parse fence-stripped JSON-ish text. A JSON `null` falls through to the Python-literal pass
 * like in the reference (so "null" is rejected while "None" yields null).
 */
function parseJsonText(stripped: string): unknown {
  const v = parseJsonOrEmbedded(stripped);
  if (v !== undefined && v !== null) return v;
  try {
    return literalEval(stripped);
  } catch (e) {
    throw pyError('ValueError', `Invalid JSON: ${(e as Error).message}`);
  }
}

/** Model text → JSON value by the parse_json rules (fences, embedded JSON, Python literals); throws ValueError. */
export const parseJsonLenient = (text: string): unknown => parseJsonText(stripCodeFence(text));

const parseJson: PureLogic = (inputs) => {
  const raw = pyGet(inputs, 'text');
  let parsed = raw;
  if (!isContainer(raw)) {
    const text = raw === null ? '' : stripCodeFence(pyStr(raw));
    if (!text) throw pyError('ValueError', "parse_json requires a non-empty 'text' input.");
    parsed = parseJsonText(text);
  }
  // Scalars are wrapped so break_object can still expose them.
  return pyTruthy(pyGet(inputs, 'wrap_scalar', true)) && !isContainer(parsed) ? { value: parsed } : parsed;
};

const STRINGIFY_MODES = ['none', 'beautify', 'minified'];

const stringifyJson: PureLogic = (inputs) => {
  let value = pyGet(inputs, 'value');
  const rawMode = pyGet(inputs, 'mode');
  let indent: number | null = null;
  try {
    if (pyGet(inputs, 'indent') !== null) indent = pyInt(inputs.indent);
  } catch {
    indent = null;
  }
  let mode = typeof rawMode === 'string' ? pyStrip(rawMode).toLowerCase() : '';
  if (!mode) mode = indent !== null && indent <= 0 ? 'minified' : 'beautify'; // legacy `indent`
  if (!STRINGIFY_MODES.includes(mode)) mode = 'beautify';
  const sortKeys = pyGet(inputs, 'sort_keys') === true;

  // JSON-ish strings are parsed first so they render as structure, not as a quoted string.
  if (typeof value === 'string' && pyStrip(value)) {
    try {
      const parsed = parseJsonText(stripCodeFence(value));
      if (parsed !== null) value = parsed;
    } catch {
      // not JSON-ish: render the string itself
    }
  }
  if (mode === 'minified') return pyJsonDumps(value, { sortKeys, compact: true });
  if (mode === 'none') return pyJsonDumps(value, { sortKeys });
  return pyJsonDumps(value, { sortKeys, indent: indent !== null && indent > 0 ? indent : 2 });
};

/** One output per `breakConfig.selectedPaths` entry, keyed by the path itself. */
const breakObject: PureLogic = (inputs, nc) => {
  const selected = nc.node.data.breakConfig?.selectedPaths;
  const paths = (Array.isArray(selected) ? selected : [])
    .filter((p): p is string => typeof p === 'string' && pyStrip(p) !== '')
    .map(pyStrip);
  let source = pyGet(inputs, 'object');
  if (typeof source === 'string' && pyStrip(source)) {
    try {
      source = parseJson({ text: source }, nc);
    } catch {
      // unparseable text: every path reads as null
    }
  }
  return Object.fromEntries(paths.map((p) => [p, getByPath(source, p)]));
};

export const JSON_NODES: NodeDefinition[] = pureNodes({
  parse_json: parseJson,
  stringify_json: stringifyJson,
  break_object: breakObject,
});
