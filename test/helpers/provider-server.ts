// A scripted LLM provider on 127.0.0.1 for tests at the network boundary. It speaks the three wire
// protocols the gateway's clients use — OpenAI chat completions (JSON and SSE), Anthropic Messages
// (JSON and SSE), Ollama /api/chat (JSON and NDJSON) and their model lists — and the media routes
// (`/images/generations` as b64 JSON, `/audio/speech` as raw audio bytes), from replies queued
// per route, records every request (headers and body), and reports when a client closes a
// connection before its answer was complete (abort tests).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Reply =
  | { status?: number; headers?: Record<string, string>; json: unknown }
  /**
   * Server-Sent Events; `hold` keeps the stream open after the last event until the client leaves;
   * `gate` delays the events (not the headers) until it settles.
   */
  | { status?: number; sse: { event?: string; data: unknown }[]; hold?: boolean; gate?: Promise<unknown> }
  | { status?: number; ndjson: unknown[]; hold?: boolean }
  /** Raw bytes (generated audio) with their content type. */
  | { status?: number; bytes: Buffer; contentType: string }
  /** Never answer (the client must time out or abort). */
  | { hang: true };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  /** Arrival time on the server's clock (ms), for ordering checks. */
  at: number;
  /** Resolves when the client closed the connection before the reply was complete. */
  clientClosed: Promise<void>;
}

export interface ProviderServer {
  url: string;
  requests: RecordedRequest[];
  /** Queue replies for `METHOD /path` (query ignored); each request takes the next one. */
  reply(route: string, ...replies: Reply[]): void;
  /** Requests currently being answered (not finished, not closed). */
  readonly open: number;
  /** Resolves once `n` requests have arrived. */
  waitForRequests(n: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

export async function startProviderServer(): Promise<ProviderServer> {
  const queues = new Map<string, Reply[]>();
  const requests: RecordedRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let open = 0;

  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0]!;
    let closeClient!: () => void;
    const clientClosed = new Promise<void>((r) => (closeClient = r));
    open++;
    res.on('close', () => {
      open--;
      if (!res.writableFinished) closeClient();
    });
    requests.push({ method: req.method!, path, headers: req.headers, body: text ? JSON.parse(text) : undefined, at: Date.now(), clientClosed });
    for (const w of waiters.filter((w) => requests.length >= w.n)) w.resolve();
    const reply = queues.get(`${req.method} ${path}`)?.shift();
    if (!reply) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no scripted reply for ${req.method} ${path}` } }));
      return;
    }
    if ('hang' in reply) return;
    if ('bytes' in reply) {
      res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType, 'content-length': reply.bytes.length }).end(reply.bytes);
      return;
    }
    if ('json' in reply) {
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers }).end(JSON.stringify(reply.json));
      return;
    }
    const sse = 'sse' in reply;
    res.writeHead(reply.status ?? 200, { 'content-type': sse ? 'text/event-stream' : 'application/x-ndjson' });
    if (sse && reply.gate) await reply.gate;
    const items = sse ? reply.sse : reply.ndjson;
    for (const item of items) {
      if (sse) {
        const e = item as { event?: string; data: unknown };
        res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`);
      } else res.write(`${JSON.stringify(item)}\n`);
    }
    if (!reply.hold) res.end();
  };

  const server: Server = createServer((req, res) => void answer(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get open() {
      return open;
    },
    reply(route, ...replies) {
      queues.set(route, [...(queues.get(route) ?? []), ...replies]);
    },
    waitForRequests(n) {
      if (requests.length >= n) return Promise.resolve(requests);
      return new Promise((resolve) => waiters.push({ n, resolve: () => resolve(requests) }));
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

// ---- protocol-shaped replies -------------------------------------------------------------------

export interface ScriptedCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export const openai = {
  text(content: string, o: { model?: string; finish?: string; calls?: ScriptedCall[] } = {}): Reply {
    return {
      json: {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        model: o.model ?? 'scripted-model',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content,
              ...(o.calls ? { tool_calls: o.calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } })) } : {}),
            },
            finish_reason: o.finish ?? (o.calls ? 'tool_calls' : 'stop'),
          },
        ],
        usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
      },
    };
  },
  /** Text deltas, then each tool call split in two argument fragments, then usage and [DONE]. */
  stream(deltas: string[], o: { calls?: ScriptedCall[]; finish?: string; hold?: boolean } = {}): Reply {
    const chunk = (delta: object, finish: string | null = null) => ({ data: { id: 'c1', model: 'scripted-model', choices: [{ index: 0, delta, finish_reason: finish }] } });
    const events: { data: unknown }[] = [chunk({ role: 'assistant', content: '' }), ...deltas.map((d) => chunk({ content: d }))];
    (o.calls ?? []).forEach((c, index) => {
      const args = JSON.stringify(c.arguments);
      const half = Math.floor(args.length / 2);
      events.push(chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: args.slice(0, half) } }] }));
      events.push(chunk({ tool_calls: [{ index, function: { arguments: args.slice(half) } }] }));
    });
    if (o.hold) return { sse: events, hold: true };
    events.push(chunk({}, o.finish ?? (o.calls?.length ? 'tool_calls' : 'stop')));
    events.push({ data: { id: 'c1', model: 'scripted-model', choices: [], usage: { prompt_tokens: 5, completion_tokens: deltas.length, total_tokens: 5 + deltas.length } } });
    events.push({ data: '[DONE]' });
    return { sse: events };
  },
  models(ids: string[]): Reply {
    return { json: { object: 'list', data: ids.map((id) => ({ id, object: 'model', owned_by: 'scripted' })) } };
  },
};

export const anthropic = {
  message(text: string, o: { calls?: ScriptedCall[]; stop?: string } = {}): Reply {
    const content: object[] = text ? [{ type: 'text', text }] : [];
    for (const c of o.calls ?? []) content.push({ type: 'tool_use', id: c.id, name: c.name, input: c.arguments });
    return {
      json: {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-scripted',
        content,
        stop_reason: o.stop ?? (o.calls?.length ? 'tool_use' : 'end_turn'),
        usage: { input_tokens: 21, output_tokens: 9 },
      },
    };
  },
  stream(deltas: string[], o: { calls?: ScriptedCall[]; stop?: string; hold?: boolean } = {}): Reply {
    const ev = (type: string, body: object) => ({ event: type, data: { type, ...body } });
    const events = [ev('message_start', { message: { id: 'msg_1', model: 'claude-scripted', content: [], usage: { input_tokens: 13, output_tokens: 1 } } }), ev('ping', {})];
    events.push(ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
    for (const d of deltas) events.push(ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: d } }));
    events.push(ev('content_block_stop', { index: 0 }));
    (o.calls ?? []).forEach((c, i) => {
      const args = JSON.stringify(c.arguments);
      const half = Math.floor(args.length / 2);
      events.push(ev('content_block_start', { index: i + 1, content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} } }));
      events.push(ev('content_block_delta', { index: i + 1, delta: { type: 'input_json_delta', partial_json: args.slice(0, half) } }));
      events.push(ev('content_block_delta', { index: i + 1, delta: { type: 'input_json_delta', partial_json: args.slice(half) } }));
      events.push(ev('content_block_stop', { index: i + 1 }));
    });
    if (o.hold) return { sse: events, hold: true };
    events.push(ev('message_delta', { delta: { stop_reason: o.stop ?? (o.calls?.length ? 'tool_use' : 'end_turn') }, usage: { output_tokens: 17 } }));
    events.push(ev('message_stop', {}));
    return { sse: events };
  },
  models(ids: string[]): Reply {
    return { json: { data: ids.map((id) => ({ type: 'model', id, display_name: id })), has_more: false } };
  },
};

export const ollama = {
  chat(content: string, o: { calls?: Omit<ScriptedCall, 'id'>[]; done_reason?: string } = {}): Reply {
    return {
      json: {
        model: 'llama-scripted',
        message: { role: 'assistant', content, ...(o.calls ? { tool_calls: o.calls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) } : {}) },
        done: true,
        done_reason: o.done_reason ?? 'stop',
        prompt_eval_count: 8,
        eval_count: 4,
      },
    };
  },
  stream(deltas: string[], o: { hold?: boolean } = {}): Reply {
    const lines: object[] = deltas.map((d) => ({ model: 'llama-scripted', message: { role: 'assistant', content: d }, done: false }));
    if (o.hold) return { ndjson: lines, hold: true };
    lines.push({ model: 'llama-scripted', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: 6, eval_count: deltas.length });
    return { ndjson: lines };
  },
  tags(names: string[]): Reply {
    return { json: { models: names.map((name) => ({ name, model: name, size: 1 })) } };
  },
};

/** Media answers: the OpenAI images API (`{data:[{b64_json}]}`) and speech (raw bytes). */
export const media = {
  images(...images: Buffer[]): Reply {
    return { json: { created: 1, data: images.map((b) => ({ b64_json: b.toString('base64') })) } };
  },
  speech(audio: Buffer, contentType = 'audio/wav'): Reply {
    return { bytes: audio, contentType };
  },
};

/** Recognisable stand-ins for generated files: the real magic numbers, then a label. */
export const SCRIPTED_PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('scripted png: spiral galaxy')]);
export const SCRIPTED_WAV = Buffer.concat([Buffer.from('RIFF'), Buffer.from([36, 0, 0, 0]), Buffer.from('WAVEfmt scripted kitty bear')]);
