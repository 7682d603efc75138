import type { PureNodeContext } from '../types.js';

/** Declared input pin order, or `fallback` for host-built nodes that omit their pin metadata. */
export function declaredPins(nc: PureNodeContext, fallback: string[] = ['a', 'b']): string[] {
  return nc.inputPins.length ? nc.inputPins : fallback;
}
