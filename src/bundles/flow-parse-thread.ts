// Large flow files are parsed off the event loop (issue 7): JSON.parse of a 45 MB flow (200k
// nodes, inside a 1.7 MB zip) blocked the event loop ~1.5 s before the node limit refused it.
// A flow file of OFF_THREAD_PARSE_BYTES or more is first parsed and counted in a worker thread;
// the event loop parses it itself only once its compile cost is known to fit the limits.
// One worker at a time, started per file (large flows are rare; its heap is gone when it
// exits), with a bounded heap so a pathological document fails as "too large", not the process.

import { channel } from 'node:diagnostics_channel';
import { Worker } from 'node:worker_threads';
import { GatewayError, internal, type ErrorCode } from '../errors.js';
import type { GraphCost } from './graph-limits.js';

/** Flow files from this size on are parsed in the worker first (JSON.parse of 256 KiB: a few ms). */
export const OFF_THREAD_PARSE_BYTES = 256 * 1024;
/** Old-generation heap of the parse worker: ample for the 64 MiB entry cap of plausible flows. */
const PARSE_HEAP_MB = 1024;

export interface ParseRequest {
  bytes: Uint8Array;
  path: string;
}

/** The worker's answer; `bytes` are the request's, handed back (transferred, not copied). */
export type ParseReply = ({ cost: GraphCost } | { error: { code: ErrorCode; message: string } }) & { bytes: Uint8Array };

/** diagnostics_channel: `{phase: 'start' | 'end', path, bytes}` around each off-thread parse (tracing, tests). */
export const FLOW_PARSE_CHANNEL = 'abstractgateway:bundle-flow-parse';
const parseEvents = channel(FLOW_PARSE_CHANNEL);

const WORKER = new URL('./flow-parse-worker.js', import.meta.url);
let queue: Promise<unknown> = Promise.resolve();

/**
 * The compile cost of the flow file `bytes` (named `path` in errors), parsed in a worker; the
 * bytes come back with it (the caller's buffer is detached). Throws the bundle error parsing
 * raised, or a 413 when the document does not fit the worker's heap.
 */
export function flowCostOffThread(bytes: Buffer, path: string): Promise<{ cost: GraphCost; bytes: Buffer }> {
  const size = bytes.length;
  const run = queue.then(async () => {
    parseEvents.publish({ phase: 'start', path, bytes: size });
    try {
      return await parseInWorker(bytes, path);
    } finally {
      parseEvents.publish({ phase: 'end', path, bytes: size });
    }
  });
  queue = run.catch(() => undefined);
  return run;
}

function parseInWorker(bytes: Buffer, path: string): Promise<{ cost: GraphCost; bytes: Buffer }> {
  // Transferable only when the Buffer owns its whole ArrayBuffer (small Buffers share a pool).
  const owned = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length ? new Uint8Array(bytes.buffer) : new Uint8Array(bytes);
  const request: ParseRequest = { bytes: owned, path };
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    const worker = new Worker(WORKER, { workerData: request, transferList: [owned.buffer as ArrayBuffer], resourceLimits: { maxOldGenerationSizeMb: PARSE_HEAP_MB } });
    worker.once('message', (reply: ParseReply) =>
      settle(() => {
        const back = Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength);
        if ('error' in reply) reject(new GatewayError(reply.error.code, reply.error.message));
        else resolve({ cost: reply.cost, bytes: back });
      }),
    );
    worker.once('error', (err: Error & { code?: string }) =>
      settle(() =>
        reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new GatewayError('GW_ERR_TOO_LARGE', `${path} is too large to parse: its document needs more than ${PARSE_HEAP_MB} MiB of memory`)
            : internal(`${path} could not be parsed: ${err.message}`, err),
        ),
      ),
    );
    worker.once('exit', (code) => settle(() => reject(internal(`${path} could not be parsed: the parse worker exited (${code})`))));
  });
}
