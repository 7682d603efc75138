// Hand-written flows that exercise the run budgets and heavy exports: recursion through
// subflows, an exec cycle with no effect, a loop that starts one child run per turn, and one that
// writes two ledger records per turn.

import { exec, pure, data, wire, flowOf } from '../flow/flowkit.js';

const start = (outputs: string[] = []) => exec('start', 'on_flow_start', { entry: true, outputs });
const end = (id: string, inputs: string[]) => exec(id, 'on_flow_end', { inputs, execOuts: [] });
const callFlow = (id: string, flowId: string) => exec(id, 'subflow', { inputs: [], outputs: ['output'], subflowId: flowId });
const setVar = (id: string, value: number) => exec(id, 'set_var', { inputs: ['name', 'value:number'], pinDefaults: { name: 'x', value } });

/** start → call `target` → end(out = the child's output). */
export const caller = (id: string, target: string) =>
  flowOf([start(), callFlow('sub', target), end('end', ['out'])], [wire('start', 'sub'), wire('sub', 'end'), data('sub', 'output', 'end', 'out')], { id });

/** start → A → B → A …: an exec cycle with no effect between (lowered through a join_exec). */
export const spin = flowOf([start(), setVar('a', 1), setVar('b', 2)], [wire('start', 'a'), wire('a', 'b'), wire('b', 'a')], { id: 'spin' });

export const leaf = flowOf([start(), end('end', [])], [wire('start', 'end')], { id: 'leaf' });

/** Calls `leaf` n times in a while loop. */
export const fanOut = flowOf(
  [
    start(['n']),
    exec('init', 'set_var', { inputs: ['name', 'value:number'], pinDefaults: { name: 'i', value: 0 } }),
    exec('loop', 'while', { inputs: ['condition'], execOuts: ['loop', 'done'], outputs: ['item', 'index'] }),
    pure('gi', 'get_var', { inputs: ['name'], outputs: ['value'], pinDefaults: { name: 'i' } }),
    pure('gn', 'get_var', { inputs: ['name'], outputs: ['value'], pinDefaults: { name: 'n' } }),
    pure('lt', 'compare', { inputs: ['a', 'op', 'b'], pinDefaults: { op: '<' } }),
    pure('plus', 'add', { inputs: ['a', 'b'], pinDefaults: { b: 1 } }),
    callFlow('sub', 'leaf'),
    exec('inc', 'set_var', { inputs: ['name', 'value:number'], pinDefaults: { name: 'i' } }),
    end('end', []),
  ],
  [
    wire('start', 'init'),
    wire('init', 'loop'),
    wire('loop', 'sub', 'loop'),
    wire('sub', 'inc'),
    wire('loop', 'end', 'done'),
    data('gi', 'value', 'lt', 'a'),
    data('gn', 'value', 'lt', 'b'),
    data('lt', 'result', 'loop', 'condition'),
    data('gi', 'value', 'plus', 'a'),
    data('plus', 'result', 'inc', 'value'),
  ],
  { id: 'fan_out' },
);

/** for i in [0, n): answer_user(big + i): two records per iteration, each carrying `big`. */
export const bigFlow = flowOf(
  [
    exec('start', 'on_flow_start', { entry: true, outputs: ['n', 'big'] }),
    exec('for', 'for', { inputs: ['start', 'end'], execOuts: ['loop', 'done'], outputs: ['i'], pinDefaults: { start: 0 } }),
    pure('msg', 'concat', { inputs: ['a', 'b'] }),
    exec('say', 'answer_user', { inputs: ['message'] }),
    exec('end', 'on_flow_end', { inputs: [], execOuts: [] }),
  ],
  [
    wire('start', 'for'),
    data('start', 'n', 'for', 'end'),
    data('start', 'big', 'msg', 'a'),
    wire('for', 'say', 'loop'),
    data('for', 'i', 'msg', 'b'),
    data('msg', 'result', 'say', 'message'),
    wire('for', 'end', 'done'),
  ],
  { id: 'big' },
);
