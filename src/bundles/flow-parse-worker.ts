// Worker thread entry (flow-parse-thread.ts): parses one large flow file and answers its compile
// cost, or the bundle error it raised, handing the bytes back. The parsed document itself stays
// here: copying it back would cost the event loop more than parsing it again (measured), and
// only a flow within the limits is ever parsed again.

import { parentPort, workerData } from 'node:worker_threads';
import { GatewayError } from '../errors.js';
import { parseFlowDocument } from './flow-document.js';
import type { ParseReply, ParseRequest } from './flow-parse-thread.js';

const { bytes, path } = workerData as ParseRequest;
let reply: ParseReply;
try {
  reply = { cost: parseFlowDocument(bytes, path).cost, bytes };
} catch (err) {
  if (!(err instanceof GatewayError)) throw err;
  reply = { error: { code: err.code, message: err.message }, bytes };
}
parentPort!.postMessage(reply, [bytes.buffer as ArrayBuffer]);
