// Array / object nodes (spec §5.5).

import { cloneJson, isPlainObject } from '../../model/json.js';
import { pyDict, pyEq, pyGet, pyIntOr, pyJsonDumps, pyList, pyStr, pyStrip, pyTruthy, pyTypeName, toList } from '../py.js';
import { getByIndexedPath, setByPath } from '../../model/paths.js';
import type { PureLogic } from '../types.js';
import { type NodeDefinition, pureNodes } from './definition.js';
import { declaredPins } from './pins.js';

/** Values of the present, non-null pins in declared order; `flatten` spreads list values one level. */
const collect = (flatten: boolean): PureLogic => (inputs, nc) => {
  const out: unknown[] = [];
  for (const pin of declaredPins(nc)) {
    const v = pyGet(inputs, pin);
    if (v === null) continue;
    if (flatten && Array.isArray(v)) out.push(...v);
    else out.push(v);
  }
  return out;
};

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const getElement: PureLogic = (inputs) => {
  const arr = asArray(pyGet(inputs, 'array'));
  const raw = pyGet(inputs, 'index', 0);
  let idx = typeof raw === 'boolean' ? 0 : pyIntOr(raw, 0);
  if (idx < 0) idx += arr.length;
  if (idx >= 0 && idx < arr.length) return { result: arr[idx], found: true };
  return { result: pyGet(inputs, 'default'), found: false };
};

const getRandomElement: PureLogic = (inputs, nc) => {
  const arr = asArray(pyGet(inputs, 'array'));
  if (!arr.length) return { result: pyGet(inputs, 'default'), found: false };
  return { result: arr[Math.floor(nc.ctx.random() * arr.length)], found: true };
};

const get: PureLogic = (inputs) => {
  const value = getByIndexedPath(pyGet(inputs, 'object', {}), pyStr(pyGet(inputs, 'key', '')));
  return { value: value === null ? pyGet(inputs, 'default') : value };
};

/** A copy of `object` with the dotted key set (deep copy: the input may be shared upstream state). */
const set: PureLogic = (inputs) => {
  const obj = cloneJson(pyDict(pyGet(inputs, 'object', {})));
  setByPath(obj, pyStr(pyGet(inputs, 'key', '')), pyGet(inputs, 'value'));
  return obj;
};

const makeObject: PureLogic = (inputs) =>
  Object.fromEntries(Object.entries(inputs).filter(([k, v]) => !k.startsWith('_') && v !== undefined));

const arrayMap: PureLogic = (inputs) => {
  const key = pyStr(pyGet(inputs, 'key', ''));
  return pyList(pyGet(inputs, 'items', [])).map((item) => (isPlainObject(item) ? pyGet(item, key) : item));
};

const arrayFilter: PureLogic = (inputs) => {
  const key = pyStr(pyGet(inputs, 'key', ''));
  const value = pyGet(inputs, 'value');
  return pyList(pyGet(inputs, 'items', [])).filter((item) => pyEq(isPlainObject(item) ? pyGet(item, key) : item, value));
};

const arrayAppend: PureLogic = (inputs) => {
  const out = toList(pyGet(inputs, 'array'));
  out.push(pyGet(inputs, 'item'));
  return out;
};

/** Python-style fingerprint: scalars by type and str(), containers by sorted compact JSON. */
function fingerprint(v: unknown): string {
  if (v === null || typeof v !== 'object') return `${pyTypeName(v)}:${pyStr(v)}`;
  return pyJsonDumps(v, { sortKeys: true, compact: true });
}

const arrayDedup: PureLogic = (inputs) => {
  const items = pyGet(inputs, 'array');
  if (!Array.isArray(items)) return [];
  const key = pyGet(inputs, 'key');
  const keyPath = pyTruthy(key) ? pyStrip(pyStr(key)) : '';
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = keyPath ? getByIndexedPath(item, keyPath) : null;
    const fp = fingerprint(k ?? item);
    if (seen.has(fp)) return false;
    seen.add(fp);
    return true;
  });
};

const makeContext: PureLogic = (inputs) => {
  const extra = pyGet(inputs, 'context_extra');
  const task = pyGet(inputs, 'task');
  const context = {
    ...(isPlainObject(extra) ? extra : {}),
    task: task === null ? '' : pyStr(task),
    messages: toList(pyGet(inputs, 'messages')),
  };
  return { context };
};

/** `{tool_call: {name, arguments: non-null args}, <arg>: value, ...}` for the configured tool. */
const toolParameters: PureLogic = (inputs, nc) => {
  const cfg = nc.node.data.toolParametersConfig as Record<string, unknown> | undefined;
  const rawName = cfg?.tool || cfg?.name;
  const name = typeof rawName === 'string' ? pyStrip(rawName) : '';
  const out: Record<string, unknown> = {};
  const args: Record<string, unknown> = {};
  for (const pin of nc.inputPins.map(pyStrip).filter(Boolean)) {
    out[pin] = pyGet(inputs, pin);
    if (out[pin] !== null) args[pin] = out[pin];
  }
  out.tool_call = { name, arguments: args };
  return out;
};

export const DATA_NODES: NodeDefinition[] = pureNodes({
  make_array: collect(false),
  array_concat: collect(true),
  get_element: getElement,
  get_random_element: getRandomElement,
  get,
  set,
  merge: (inputs) => ({ ...pyDict(pyGet(inputs, 'a', {})), ...pyDict(pyGet(inputs, 'b', {})) }),
  make_object: makeObject,
  array_map: arrayMap,
  array_filter: arrayFilter,
  array_length: (inputs) => asArray(pyGet(inputs, 'array')).length,
  has_tools: (inputs) => asArray(pyGet(inputs, 'array')).length > 0,
  array_append: arrayAppend,
  array_dedup: arrayDedup,
  make_context: makeContext,
  tool_parameters: toolParameters,
});
