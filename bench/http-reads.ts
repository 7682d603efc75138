// Read-path benchmarks (issue 7): the calls every client polls, and health while many SSE
// clients have stopped reading. Used by bench/http.bench.ts (`--only reads,stalled`).

import { connect, type Socket } from 'node:net';
import { readdirSync } from 'node:fs';
import { TOKEN, cannon, newServer, rssMiB, sleep, type RpsResult } from './http-kit.js';

const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

export interface ReadsResult {
  healthRps: number;
  runRps: number;
  runP99: number;
  runBytes: number;
  pageRps: number;
  pageP99: number;
  pageRecords: number;
  pageBytes: number;
}

/**
 * autocannon (32 connections, 10 s after 2 s warm-up) against `/api/health`, `GET /runs/{id}`
 * and a ledger page of a finished 134-record run (chatty flow, n = 66).
 */
export async function readPaths(connections = 32, duration = 10): Promise<ReadsResult> {
  const s = await newServer();
  try {
    const id = await s.client.start('chatty', { n: 66 });
    const run = await s.client.waitFor(id, (r) => r.status === 'completed');
    const base = `http://127.0.0.1:${s.srv.port}`;
    const auth = { authorization: `Bearer ${TOKEN}` };
    const measure = async (url: string, headers: Record<string, string>): Promise<RpsResult> => {
      await cannon(url, headers, connections, 2); // warm-up
      const r = await cannon(url, headers, connections, duration);
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      return r;
    };
    const health = await measure(`${base}/api/health`, {});
    const one = await measure(`${base}/api/gateway/runs/${id}`, auth);
    const page = await measure(`${base}/api/gateway/runs/${id}/ledger?after=0&limit=200`, auth);
    return {
      healthRps: health.rps,
      runRps: one.rps,
      runP99: one.p99,
      runBytes: one.bytesPerReq,
      pageRps: page.rps,
      pageP99: page.p99,
      pageRecords: run.ledger_len,
      pageBytes: page.bytesPerReq,
    };
  } finally {
    await s.close();
  }
}

export interface StalledResult {
  streams: number;
  records: number;
  rssIdleMiB: number;
  rssStalledMiB: number;
  healthP50: number;
  healthP99: number;
  healthRps: number;
  /** Streams the server had closed when the health measurement ended (by its open files). */
  closedByServer: number;
}

/** Opens an SSE stream on a raw socket, waits for its status line, then never reads again. */
function stalledStream(port: number, path: string): Promise<Socket> {
  // Raw socket: node:http would keep reading into its own buffers; this client reads one chunk.
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nAccept: text/event-stream\r\n\r\n`);
    });
    socket.once('data', (chunk) => {
      socket.pause(); // from here on the kernel buffers fill and the server sees a full socket
      if (!chunk.toString('latin1').startsWith('HTTP/1.1 200')) reject(new Error(`stream → ${chunk.toString('latin1').slice(0, 80)}`));
      else resolve(socket);
    });
    socket.on('error', reject);
  });
}

/**
 * Health while `streams` SSE clients of one 6,002-record run have stopped reading: the server
 * must neither buffer every stream's replay in memory nor slow its other clients down.
 */
export async function stalledStreams(streams = 1000, duration = 10, extraEnv: Record<string, string> = {}): Promise<StalledResult> {
  const s = await newServer(extraEnv);
  const open: Socket[] = [];
  try {
    const id = await s.client.start('chatty', { n: 3000 });
    const run = await s.client.waitFor(id, (r) => r.status === 'completed', 120_000);
    await sleep(500);
    const rssIdleMiB = rssMiB(s.srv.pid);
    for (let i = 0; i < streams; i += 50) {
      const batch = Array.from({ length: Math.min(50, streams - i) }, () => stalledStream(s.srv.port, `/api/gateway/runs/${id}/ledger/stream?heartbeat_s=1`));
      open.push(...(await Promise.all(batch)));
    }
    const fdsOpen = openFds(s.srv.pid);
    await sleep(2000); // let every stream fill its socket
    const rssStalledMiB = rssMiB(s.srv.pid);
    const url = `http://127.0.0.1:${s.srv.port}/api/health`;
    await cannon(url, {}, 32, 2); // warm-up
    const h = await cannon(url, {}, 32, duration);
    // A paused client socket never sees the server's FIN: count the server's open files instead.
    const closedByServer = Math.max(0, fdsOpen - openFds(s.srv.pid));
    return {
      streams,
      records: run.ledger_len,
      rssIdleMiB,
      rssStalledMiB: Math.max(rssStalledMiB, rssMiB(s.srv.pid)),
      healthP50: h.p50,
      healthP99: h.p99,
      healthRps: h.rps,
      closedByServer,
    };
  } finally {
    for (const socket of open) socket.destroy();
    await s.close();
  }
}
