// Provider-layer overhead per LLM call against a zero-latency local OpenAI-compatible server.
// Run on demand: `npm run build && node dist/bench/provider.bench.js [--calls 3000]`.
//   raw:    one keep-alive node:http POST of the same body, answer read and parsed (the floor any
//           client pays for the round trip);
//   chat:   OpenAiCompatibleProvider.chat() non-streaming (limiter, timeout signal, body build,
//           normalisation);
//   stream: chat() with onDelta over SSE (5 deltas + usage + [DONE]).
// Overhead = chat p50 − raw p50. Sequential calls, one in flight, after 300 warm-up calls.

import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderRegistry } from '../src/providers/registry.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const JSON_ANSWER = JSON.stringify({
  id: 'c',
  model: 'bench',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the bench server.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 10, completion_tokens: 6, total_tokens: 16 },
});
const SSE_ANSWER =
  ['Hello', ' from', ' the', ' bench', ' server.'].map((d) => `data: ${JSON.stringify({ model: 'bench', choices: [{ index: 0, delta: { content: d }, finish_reason: null }] })}\n\n`).join('') +
  `data: ${JSON.stringify({ model: 'bench', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n` +
  `data: ${JSON.stringify({ model: 'bench', choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } })}\n\ndata: [DONE]\n\n`;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const stream = Buffer.concat(chunks).includes('"stream":true');
    res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' }).end(stream ? SSE_ANSWER : JSON_ANSWER);
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;

const registry = new ProviderRegistry({ timeoutMs: 30_000, maxRetries: 0, concurrency: 8, urlPolicy: 'local', modelsTimeoutMs: 30_000 });
const provider = registry.add({ id: 'lmstudio', family: 'openai', baseUrl: base, baseUrlConfigured: true, keyRequired: false });
const messages = [
  { role: 'system' as const, content: 'You are a bench.' },
  { role: 'user' as const, content: 'Say hello.' },
];
const body = JSON.stringify({ model: 'bench', messages, stream: false, temperature: 0.7 });
const agent = new Agent({ keepAlive: true });

const raw = () =>
  new Promise<void>((resolve, reject) => {
    const req = request(`${base}/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        JSON.parse(Buffer.concat(chunks).toString());
        resolve();
      });
    });
    req.on('error', reject);
    req.end(body);
  });
const chat = async () => void (await provider.chat({ model: 'bench', messages, temperature: 0.7 }));
const stream = async () => void (await provider.chat({ model: 'bench', messages, temperature: 0.7, onDelta: () => {} }));

async function measure(name: string, fn: () => Promise<void>, calls: number) {
  for (let i = 0; i < 300; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  console.log(`${name.padEnd(7)} p50 ${pct(ms, 50).toFixed(3)} ms  p99 ${pct(ms, 99).toFixed(3)} ms`);
  return pct(ms, 50);
}

const calls = arg('calls', 3000);
const rawP50 = await measure('raw', raw, calls);
const chatP50 = await measure('chat', chat, calls);
const streamP50 = await measure('stream', stream, calls);
console.log(`overhead p50: chat ${(chatP50 - rawP50).toFixed(3)} ms, stream ${(streamP50 - rawP50).toFixed(3)} ms over the raw round trip (${calls} calls each, Node ${process.version})`);
agent.destroy();
server.close();
process.exit(0);
