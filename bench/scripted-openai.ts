// A minimal OpenAI-compatible chat server for benchmarks, run in its own process so its work
// doesn't count against the gateway's event loop: every call gets the same short SSE answer
// after `delay` ms. The parent sets the delay by sending {delay} over IPC; the server reports
// its port as {port} once listening.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

let delay = 0;
const sse =
  ['Hello', ' from', ' the', ' bench.'].map((d) => `data: ${JSON.stringify({ model: 'bench', choices: [{ index: 0, delta: { content: d }, finish_reason: null }] })}\n\n`).join('') +
  `data: ${JSON.stringify({ model: 'bench', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n` +
  `data: ${JSON.stringify({ model: 'bench', choices: [], usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 } })}\n\ndata: [DONE]\n\n`;

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const answer = () => res.writeHead(200, { 'content-type': 'text/event-stream' }).end(sse);
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('message', (m: { delay?: number }) => {
  if (typeof m.delay === 'number') delay = m.delay;
  process.send!({ ok: true });
});
process.on('disconnect', () => process.exit(0));
