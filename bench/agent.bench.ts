// LLM and agent runs through the whole gateway (issue 8). Run on demand:
//   npm run build && node dist/bench/agent.bench.js [--calls 1000] [--agents 1000] [--delay-ms 2000]
//
// 1. Overhead per LLM call: sequential runs of `start → llm_call → end` against a zero-latency
//    local OpenAI-compatible server, next to the same flow with `answer_user` in place of the LLM
//    call (same engine work, no outside call) and a bare HTTP round trip to the server.
//    overhead = p50(llm run) − p50(answer_user run) − p50(bare round trip).
// 2. Load: `--agents` agent runs at once (each: agent node → ReAct child → one llm_call) against a
//    server that answers after `--delay-ms`, while a loop keeps starting no-LLM runs. Reports that
//    all agents completed, no-LLM runs/s during the load, event-loop delay p99, RSS per waiting agent.
//
// The provider runs in a child process (bench/scripted-openai.ts); the gateway in this one.

import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Gateway } from '../src/app/gateway.js';
import { loadConfig } from '../src/config/config.js';
import type { VisualFlow } from '../src/flow/types.js';
import { writeBundleDir } from '../test/helpers/bundles.js';
import { data, exec, flowOf, wire } from '../test/flow/flowkit.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const CALLS = arg('calls', 1000);
const AGENTS = arg('agents', 1000);
const DELAY_MS = arg('delay-ms', 2000);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const r2 = (n: number) => Math.round(n * 100) / 100;

// ---- a provider speaking OpenAI chat completions (SSE), in its own process (scripted-openai.ts)
const providerProc = fork(fileURLToPath(new URL('./scripted-openai.js', import.meta.url)));
const reply = () => new Promise<any>((r) => providerProc.once('message', r));
const { port } = await reply();
const setDelay = async (ms: number) => {
  providerProc.send({ delay: ms });
  await reply();
};
const base = `http://127.0.0.1:${port}/v1`;

// ---- flows
const start = (outputs: string[] = []) => exec('start', 'on_flow_start', { entry: true, outputs });
const end = (inputs: string[] = []) => exec('end', 'on_flow_end', { inputs, execOuts: [] });
const llm = flowOf(
  [start(['prompt']), exec('llm', 'llm_call', { inputs: ['prompt', 'provider', 'model'], outputs: ['response'], pinDefaults: { provider: 'lmstudio', model: 'bench' } }), end(['response'])],
  [wire('start', 'llm'), wire('llm', 'end'), data('start', 'prompt', 'llm', 'prompt'), data('llm', 'response', 'end', 'response')],
  { id: 'llm' },
);
const say = flowOf(
  [start(['prompt']), exec('say', 'answer_user', { inputs: ['message'] }), end()],
  [wire('start', 'say'), wire('say', 'end'), data('start', 'prompt', 'say', 'message')],
  { id: 'say' },
);
const agent = flowOf(
  [start(['prompt']), exec('ag', 'agent', { inputs: ['prompt'], outputs: ['response'], agentConfig: { provider: 'lmstudio', model: 'bench', tools: [] } }), end(['response'])],
  [wire('start', 'ag'), wire('ag', 'end'), data('start', 'prompt', 'ag', 'prompt'), data('ag', 'response', 'end', 'response')],
  { id: 'agent' },
);
const trivial = flowOf([start(), end()], [wire('start', 'end')], { id: 'trivial' });
const FLOWS: VisualFlow[] = [llm, say, agent, trivial];

const root = await mkdtemp(join(tmpdir(), 'agw-agentbench-'));
await writeBundleDir(join(root, 'flows'), 'bench', FLOWS, '1.0.0');
const gateway = (
  await Gateway.open(
    loadConfig({
      ABSTRACTGATEWAY_DATA_DIR: join(root, 'data'),
      ABSTRACTGATEWAY_FLOWS_DIR: join(root, 'flows'),
      LMSTUDIO_BASE_URL: base,
      ABSTRACTGATEWAY_PROVIDER_CONCURRENCY: String(AGENTS + 64),
    }),
  )
).start();
const rt = gateway.root.runtime;

/** Runs being waited for, by id: one ledger listener for all of them. */
const waiting = new Map<string, () => void>();
gateway.store.notifier.on('ledger', (_scope, id) => waiting.get(id)?.());

/** Start a run; `ended` resolves when the run is terminal (woken by ledger hints). */
async function startRun(flow: string, input: Record<string, unknown>): Promise<{ ended: Promise<string> }> {
  const { run_id } = await rt.startRun({ workflow_id: `bench@1.0.0:${flow}`, input_data: input });
  const ended = new Promise<string>((resolve, reject) => {
    const check = () =>
      rt.getRun(run_id).then((r) => {
        if (r && ['completed', 'failed', 'cancelled'].includes(r.status) && waiting.delete(run_id)) resolve(r.status);
      }, reject);
    waiting.set(run_id, () => void check());
    void check();
  });
  return { ended };
}

const runToEnd = async (flow: string, input: Record<string, unknown>): Promise<string> => (await startRun(flow, input)).ended;

async function timed(flow: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n + 100; i++) {
    const t0 = performance.now();
    const status = await runToEnd(flow, { prompt: `hi ${i}` });
    if (status !== 'completed') throw new Error(`${flow} run ${status}`);
    if (i >= 100) out.push(performance.now() - t0);
  }
  return out;
}

const agentPool = new Agent({ keepAlive: true });
const body = JSON.stringify({ model: 'bench', stream: true, messages: [{ role: 'user', content: 'hi' }] });
async function bareRoundTrips(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n + 100; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = request(`${base}/chat/completions`, { method: 'POST', agent: agentPool, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
    if (i >= 100) out.push(performance.now() - t0);
  }
  return out;
}

// ---- 1. overhead
const bare = await bareRoundTrips(CALLS);
const withLlm = await timed('llm', CALLS);
const withoutLlm = await timed('say', CALLS);
const overhead = pct(withLlm, 50) - pct(withoutLlm, 50) - pct(bare, 50);
console.log(`overhead: llm run p50 ${r2(pct(withLlm, 50))} ms (p99 ${r2(pct(withLlm, 99))}), answer_user run p50 ${r2(pct(withoutLlm, 50))} ms, bare round trip p50 ${r2(pct(bare, 50))} ms → gateway overhead per LLM call p50 ${r2(overhead)} ms`);

// ---- 2. load
await setDelay(DELAY_MS);
const rssBefore = process.memoryUsage().rss;
const burst = monitorEventLoopDelay({ resolution: 5 });
const loop = monitorEventLoopDelay({ resolution: 5 });
burst.enable();
const t0 = performance.now();
let peakRss = rssBefore;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
// All agent runs are created at once (one burst of 1,000 starts), then run side by side.
const ends = await Promise.all(Array.from({ length: AGENTS }, (_, i) => startRun('agent', { prompt: `task ${i}` })));
const startedMs = performance.now() - t0;
burst.disable();
loop.enable();
let trivialDone = 0;
let loading = true;
const trivialLoop = (async () => {
  while (loading) {
    await runToEnd('trivial', {});
    trivialDone++;
  }
})();
const statuses = await Promise.all(ends.map((e) => e.ended));
const wallMs = performance.now() - t0;
loading = false;
await trivialLoop;
clearInterval(sampler);
loop.disable();
const completed = statuses.filter((s) => s === 'completed').length;
console.log(
  `load: ${completed}/${AGENTS} agent runs completed in ${r2(wallMs / 1000)} s (provider answers after ${DELAY_MS} ms); ` +
    `no-LLM runs during the load: ${trivialDone} (${r2(trivialDone / (wallMs / 1000))} runs/s); ` +
    `event-loop delay while they run p50 ${r2(loop.percentile(50) / 1e6)} ms, p99 ${r2(loop.percentile(99) / 1e6)} ms, max ${r2(loop.max / 1e6)} ms ` +
    `(during the start burst of ${r2(startedMs)} ms: p99 ${r2(burst.percentile(99) / 1e6)} ms, max ${r2(burst.max / 1e6)} ms); ` +
    `RSS ${Math.round(rssBefore / 2 ** 20)} → peak ${Math.round(peakRss / 2 ** 20)} MiB (${r2((peakRss - rssBefore) / 1024 / AGENTS)} KiB per agent run)`,
);

await gateway.close();
providerProc.disconnect();
agentPool.destroy();
await rm(root, { recursive: true, force: true });
