// Logic / comparison nodes (spec §5.2).

import { pyCmp, pyEq, pyError, pyGet, pyIntOr, pyStr, pyTruthy, type CmpOp } from '../py.js';
import type { PureLogic } from '../types.js';
import { type NodeDefinition, pureNodes } from './definition.js';
import { declaredPins } from './pins.js';

const compare: PureLogic = (inputs) => {
  const a = pyGet(inputs, 'a');
  const b = pyGet(inputs, 'b');
  const op = pyStr(pyGet(inputs, 'op', '=='));
  if (op === '==') return pyEq(a, b);
  if (op === '!=') return !pyEq(a, b);
  if (op === '<' || op === '<=' || op === '>' || op === '>=') return pyCmp(a, b, op as CmpOp);
  throw pyError('ValueError', `Unknown comparison operator: ${op}`);
};

/** First non-null value among the pins present in the input, in declared order. */
const coalesce: PureLogic = (inputs, nc) => {
  for (const pin of declaredPins(nc)) {
    if (Object.hasOwn(inputs, pin) && inputs[pin] !== null && inputs[pin] !== undefined) return inputs[pin];
  }
  return null;
};

/** Internal multi-entry selector: a present-but-null arm still wins over the fallback. */
const pathMux: PureLogic = (inputs) => {
  const key = `in${pyIntOr(pyGet(inputs, 'select', 0) ?? 0, 0)}`;
  if (Object.hasOwn(inputs, key)) return { out: inputs[key] };
  return { out: Object.hasOwn(inputs, 'fallback') ? inputs.fallback : null };
};

export const LOGIC_NODES: NodeDefinition[] = pureNodes({
  compare,
  and: (inputs) => pyTruthy(pyGet(inputs, 'a', false)) && pyTruthy(pyGet(inputs, 'b', false)),
  or: (inputs) => pyTruthy(pyGet(inputs, 'a', false)) || pyTruthy(pyGet(inputs, 'b', false)),
  not: (inputs) => !pyTruthy(pyGet(inputs, 'value', false)),
  coalesce,
  path_mux: pathMux,
});
