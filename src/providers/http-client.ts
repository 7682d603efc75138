// The one HTTP path every provider uses: per-provider concurrency limit, a timeout per attempt,
// retries with backoff on 429/5xx and dropped connections (honouring Retry-After), and the
// caller's AbortSignal, which closes the socket so the provider stops generating. Requests go
// through node:http rather than fetch so that a client-chosen base URL can carry a guarded DNS
// lookup (url-policy.ts) checked at connect time; redirects are never followed.

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../errors.js';
import type { Limiter } from './limiter.js';
import { lines, sseEvents, type SseEvent } from './lines.js';

export interface HttpClientOptions {
  /** Provider name, for messages. */
  name: string;
  baseUrl: string;
  /** Sent with every request to baseUrl — the only place a provider key is attached. */
  headers: Record<string, string>;
  timeoutMs: number;
  maxRetries: number;
  limiter: Limiter;
  /** Set for client-chosen base URLs: refuses blocked addresses at connect time. */
  lookup?: LookupFunction;
  /** First backoff step when the provider gives no Retry-After (doubles per retry). */
  retryBaseMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Largest answer read (default 32 MiB); a larger one fails the call (media answers set their own cap). */
  maxBytes?: number;
  /** The Accept header (default JSON or SSE). */
  accept?: string;
}

/** A binary answer (generated audio) and the type the server gave it. */
export interface BinaryAnswer {
  bytes: Buffer;
  contentType: string | undefined;
}

/** A Retry-After longer than this is not waited for: the call fails with the provider's 429. */
const MAX_RETRY_AFTER_MS = 60_000;
const MAX_JSON_BYTES = 32 * 1024 * 1024;
const MAX_ERROR_BYTES = 64 * 1024;
const RETRY_STATUSES = new Set([408, 409, 429, 500, 502, 503, 504]);
const RETRY_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/** Milliseconds to wait from `Retry-After` (seconds or an HTTP date) or `retry-after-ms`. */
export function retryAfterMs(headers: IncomingMessage['headers'], nowMs = Date.now()): number | undefined {
  const ms = Number(headers['retry-after-ms']);
  if (headers['retry-after-ms'] !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers['retry-after'];
  if (typeof raw !== 'string' || !raw.trim()) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

async function readBody(res: IncomingMessage, cap: number): Promise<string> {
  return (await readBytes(res, cap)).toString('utf8');
}

async function readBytes(res: IncomingMessage, cap: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > cap) {
      res.destroy();
      throw new GatewayError('GW_ERR_UPSTREAM', `response larger than ${cap} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The provider's own words from an error body ({error:{message}}, {error:"…"}, {detail}, or text). */
function upstreamMessage(text: string): string {
  try {
    const body = JSON.parse(text);
    const m = body?.error?.message ?? body?.error ?? body?.detail ?? body?.message;
    if (typeof m === 'string' && m) return m;
  } catch {
    /* not JSON: use the text */
  }
  return text.trim().slice(0, 500) || 'no message';
}

export class HttpClient {
  private readonly agent: HttpAgent;
  readonly baseUrl: string;

  constructor(private readonly o: HttpClientOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
    // Keep-alive: a local provider answering in microseconds should not pay a TCP handshake per call.
    const agentOptions = { keepAlive: true, maxSockets: o.limiter.max };
    this.agent = this.baseUrl.startsWith('https:') ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  }

  get name(): string {
    return this.o.name;
  }

  /** One JSON request; `body` undefined means GET. */
  async json(path: string, body: unknown, opts: CallOptions = {}): Promise<any> {
    return this.withResponse(path, body, opts, async (res) => {
      const text = await readBody(res, opts.maxBytes ?? MAX_JSON_BYTES);
      try {
        return JSON.parse(text);
      } catch {
        throw new GatewayError('GW_ERR_UPSTREAM', `${this.o.name}: the answer from ${this.baseUrl}${path} is not JSON`);
      }
    });
  }

  /** One POST answered with raw bytes (audio), read up to `opts.maxBytes`. */
  async bytes(path: string, body: unknown, opts: CallOptions = {}): Promise<BinaryAnswer> {
    return this.withResponse(path, body, opts, async (res) => ({ bytes: await readBytes(res, opts.maxBytes ?? MAX_JSON_BYTES), contentType: res.headers['content-type'] }));
  }

  /** A streaming POST read as Server-Sent Events; `onEvent` sees each event in order. */
  sse(path: string, body: unknown, opts: CallOptions, onEvent: (e: SseEvent) => void): Promise<void> {
    return this.withResponse(path, body, opts, async (res) => {
      for await (const e of sseEvents(res)) onEvent(e);
    });
  }

  /** A streaming POST read as newline-delimited JSON. */
  ndjson(path: string, body: unknown, opts: CallOptions, onValue: (v: any) => void): Promise<void> {
    return this.withResponse(path, body, opts, async (res) => {
      for await (const line of lines(res)) {
        if (!line.trim()) continue;
        onValue(JSON.parse(line));
      }
    });
  }

  /** Take a slot, get a 2xx response (retrying), hand it to `read`; every failure becomes a coded error. */
  private async withResponse<T>(path: string, body: unknown, opts: CallOptions, read: (res: IncomingMessage) => Promise<T>): Promise<T> {
    const release = await this.o.limiter.acquire(opts.signal);
    try {
      for (let attempt = 0; ; attempt++) {
        const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.o.timeoutMs);
        const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
        let delay: number | undefined;
        // Once a 2xx answer is being read (deltas may have reached the caller) it is never retried.
        let answering = false;
        try {
          const res = await this.send(path, body, signal, opts.accept);
          if (res.statusCode! >= 200 && res.statusCode! < 300) {
            answering = true;
            return await read(res);
          }
          const text = await readBody(res, MAX_ERROR_BYTES).catch(() => '');
          const wait = retryAfterMs(res.headers) ?? this.backoff(attempt);
          if (attempt < this.o.maxRetries && RETRY_STATUSES.has(res.statusCode!) && wait <= MAX_RETRY_AFTER_MS) delay = wait;
          else throw new GatewayError('GW_ERR_UPSTREAM', `${this.o.name}: HTTP ${res.statusCode} from ${this.baseUrl}${path}: ${upstreamMessage(text)}`);
        } catch (err) {
          if (opts.signal?.aborted) throw opts.signal.reason;
          if (timeout.aborted) {
            throw new GatewayError('GW_ERR_UPSTREAM_TIMEOUT', `${this.o.name}: no complete answer from ${this.baseUrl} within ${(opts.timeoutMs ?? this.o.timeoutMs) / 1000} s`, { cause: err });
          }
          if (err instanceof GatewayError) throw err;
          const code = (err as NodeJS.ErrnoException).code ?? '';
          if (answering) throw new GatewayError('GW_ERR_UPSTREAM', `${this.o.name}: the answer from ${this.baseUrl} broke off (${code || (err as Error).message})`, { cause: err });
          if (attempt < this.o.maxRetries && RETRY_CODES.has(code)) delay = this.backoff(attempt);
          else throw new GatewayError('GW_ERR_UPSTREAM', `${this.o.name}: cannot reach ${this.baseUrl} (${code || (err as Error).message})`, { cause: err });
        }
        // A cancel during the backoff ends the call with the caller's own reason, like any abort.
        await sleep(delay, undefined, { signal: opts.signal }).catch(() => Promise.reject(opts.signal?.reason));
      }
    } finally {
      release();
    }
  }

  private backoff(attempt: number): number {
    return Math.min((this.o.retryBaseMs ?? 500) * 2 ** attempt, 8_000);
  }

  private send(path: string, body: unknown, signal: AbortSignal, accept = 'application/json, text/event-stream'): Promise<IncomingMessage> {
    const url = new URL(this.baseUrl + path);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept, ...this.o.headers };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, { method: payload === undefined ? 'GET' : 'POST', headers, agent: this.agent, signal, lookup: this.o.lookup }, resolve);
      req.on('error', reject);
      req.end(payload);
    });
  }
}
