// Heavy request work (history_bundle exports, issue 7) is cut into slices that take turns on the
// event loop: at most one slice per loop iteration across all callers, however many there are,
// so a request in between (health, a run read) waits behind one slice, not one slice per export.

import { setImmediate as nextIteration } from 'node:timers/promises';

let last: Promise<unknown> = Promise.resolve();

/** Resolves when the caller may run one slice: an iteration of the event loop after the previous slice's. */
export function takeTurn(): Promise<unknown> {
  const turn = last.then(() => nextIteration());
  last = turn;
  return turn;
}
