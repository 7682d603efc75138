// Variable readers (spec §4.10, §5.7). Pure: re-evaluated every step, so reads are current.

import { isPlainObject } from '../../model/json.js';
import { pyGet, pyStr, pyStrip, pyTruthy, toList } from '../py.js';
import { getByPath } from '../../model/paths.js';
import type { PureLogic } from '../types.js';

/** The reference's `str(v or "")`: falsy values read as "". */
const strOrBlank = (v: unknown): string => (pyTruthy(v) ? pyStr(v) : '');

const getVar: PureLogic = (inputs, nc) => {
  const name = pyStrip(strOrBlank(pyGet(inputs, 'name')));
  return { value: name ? getByPath(nc.vars, name) : null };
};

type VarType = 'boolean' | 'number' | 'string' | 'object' | 'array' | 'any';

const TYPE_CHECKS: Record<VarType, [(v: unknown) => boolean, () => unknown]> = {
  boolean: [(v) => typeof v === 'boolean', () => false],
  number: [(v) => typeof v === 'number', () => 0],
  string: [(v) => typeof v === 'string', () => ''],
  object: [isPlainObject, () => ({})],
  array: [Array.isArray, () => []],
  any: [() => true, () => null],
};

/** Typed declaration: the var if it matches the type, else the default if it does, else the zero value. */
const varDecl: PureLogic = (_inputs, nc) => {
  const cfg = nc.node.data.literalValue;
  const name = isPlainObject(cfg) && typeof cfg.name === 'string' ? pyStrip(cfg.name) : '';
  const rawType = isPlainObject(cfg) && typeof cfg.type === 'string' ? pyStrip(cfg.type) : '';
  const type: VarType = Object.hasOwn(TYPE_CHECKS, rawType) ? (rawType as VarType) : 'any';
  const dflt = isPlainObject(cfg) ? pyGet(cfg, 'default') : null;
  const [matches, zero] = TYPE_CHECKS[type];
  if (name) {
    const current = getByPath(nc.vars, name);
    if (matches(current)) return { name, value: current };
  }
  return { name, value: matches(dflt) ? dflt : zero() };
};

/** `literalValue` is the variable name, or `{name, default}`. */
const boolVar: PureLogic = (_inputs, nc) => {
  const cfg = nc.node.data.literalValue;
  let name = '';
  let dflt = false;
  if (typeof cfg === 'string') name = pyStrip(cfg);
  else if (isPlainObject(cfg)) {
    if (typeof cfg.name === 'string') name = pyStrip(cfg.name);
    if (typeof cfg.default === 'boolean') dflt = cfg.default;
  }
  const current = name ? getByPath(nc.vars, name) : null;
  return { name, value: typeof current === 'boolean' ? current : dflt };
};

const getContext: PureLogic = (_inputs, nc) => {
  const ctx = nc.vars.context;
  const context = isPlainObject(ctx) ? ctx : {};
  const task = pyGet(context, 'task');
  const msgs = pyGet(context, 'messages');
  return {
    context,
    task: typeof task === 'string' ? task : strOrBlank(task),
    messages: toList(msgs),
  };
};

export const VARIABLE_NODES: Record<string, PureLogic> = {
  get_var: getVar,
  var_decl: varDecl,
  bool_var: boolVar,
  get_context: getContext,
};
