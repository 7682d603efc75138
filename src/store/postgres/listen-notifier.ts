// Cross-process wake-up hints over PostgreSQL LISTEN/NOTIFY: every process on one database
// (API nodes, runners) hears the hints of every other, so a runner wakes on work another node
// created and an SSE stream on any node follows a run driven by any runner.
//
// Hints stay hints (../notifier.ts): publish delivers to local listeners at once and never
// throws or waits; remote delivery is batched per event-loop turn into NOTIFY payloads (< 8,000
// bytes each, the server's limit). While the listening connection is down, hints from and to
// this process are lost — consumers keep their fallback poll — and it reconnects with backoff,
// warning once per outage. A process ignores its own notifications (it delivered them locally).

import { randomBytes } from 'node:crypto';

import pg from 'pg';

import { LocalNotifier, coalesce, type Hint, type HintListeners, type Notifier } from '../notifier.js';

export const HINT_CHANNEL = 'abstractgateway_hints';
/** NOTIFY payloads must stay under 8,000 bytes. */
const MAX_PAYLOAD = 7_900;
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/** Wire form: origin + compact hints ([runtimeId, runId, lastSeq] | [runtimeId, 'r' | 'c']). */
type WireHint = [string, string, number] | [string, 'r' | 'c'];
interface Wire {
  o: string;
  h: WireHint[];
}

export interface ListenNotifierOptions {
  url: string;
  /** Called when the hint channel goes down or comes back (default: process warnings). */
  warn?: (message: string) => void;
}

export async function openListenNotifier(o: ListenNotifierOptions): Promise<ListenNotifier> {
  const n = new ListenNotifier(o);
  await n.connect();
  return n;
}

export class ListenNotifier implements Notifier {
  private readonly local = new LocalNotifier();
  private readonly origin = randomBytes(8).toString('hex');
  private client: pg.Client | null = null;
  private pending: Hint[] = [];
  private flushScheduled = false;
  private sending: Promise<void> = Promise.resolve();
  private closed = false;
  private reconnectDelay = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private down = false;
  private readonly warn: (message: string) => void;

  constructor(private readonly o: ListenNotifierOptions) {
    this.warn = o.warn ?? ((m) => process.emitWarning(m, 'AbstractGatewayHintChannel'));
  }

  on<K extends keyof HintListeners>(kind: K, fn: HintListeners[K]): () => void {
    return this.local.on(kind, fn);
  }

  publish(hints: Hint[]): void {
    this.local.publish(hints);
    if (this.closed || this.client === null) return;
    this.pending.push(...hints);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
    await this.local.close();
  }

  /** (Re)connects and listens; rejects when the first attempt fails. */
  async connect(): Promise<void> {
    const c = new pg.Client({ connectionString: this.o.url });
    c.on('error', () => this.lost(c)); // also 'end' follows; both lead to one reconnect
    c.on('end', () => this.lost(c));
    c.on('notification', (m) => {
      if (m.channel === HINT_CHANNEL && m.payload) this.receive(m.payload);
    });
    await c.connect();
    await c.query(`LISTEN ${HINT_CHANNEL}`);
    if (this.closed) {
      await c.end();
      return;
    }
    this.client = c;
    this.reconnectDelay = 0;
    if (this.down) {
      this.down = false;
      this.warn('PostgreSQL hint channel restored (LISTEN/NOTIFY)');
    }
  }

  private lost(c: pg.Client): void {
    if (this.client !== c) return;
    this.client = null;
    this.pending = [];
    void c.end().catch(() => undefined);
    if (this.closed) return;
    if (!this.down) {
      this.down = true;
      this.warn('PostgreSQL hint channel lost: cross-node wake-ups fall back to polling until it reconnects');
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.reconnectDelay = Math.min(RECONNECT_MAX_MS, this.reconnectDelay === 0 ? RECONNECT_FIRST_MS : this.reconnectDelay * 2);
    this.reconnectTimer = setTimeout(() => {
      this.connect().catch(() => {
        if (!this.closed) this.scheduleReconnect();
      });
    }, this.reconnectDelay);
    this.reconnectTimer.unref();
  }

  private flush(): void {
    this.flushScheduled = false;
    const hints = coalesce(this.pending);
    this.pending = [];
    const c = this.client;
    if (c === null || hints.length === 0) return;
    // One statement per flush, after the previous one: a connection runs one query at a time.
    // A failed NOTIFY only loses hints; the connection's own error handler reconnects.
    const payloads = this.payloads(hints);
    this.sending = this.sending
      .then(() => c.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [HINT_CHANNEL, payloads]))
      .then(() => undefined, () => undefined);
  }

  /** Hints packed into as few payloads as fit under the size limit. */
  private payloads(hints: Hint[]): string[] {
    const out: string[] = [];
    const head = `{"o":${JSON.stringify(this.origin)},"h":[`;
    let body = '';
    for (const h of hints) {
      const item = JSON.stringify(h.kind === 'ledger' ? [h.runtimeId, h.runId, h.lastSeq] : [h.runtimeId, h.kind === 'runnable' ? 'r' : 'c']);
      if (Buffer.byteLength(head + item + ']}') > MAX_PAYLOAD) continue; // an absurdly long id: its consumers poll
      if (body !== '' && Buffer.byteLength(head + body + ',' + item + ']}') > MAX_PAYLOAD) {
        out.push(`${head}${body}]}`);
        body = '';
      }
      body = body === '' ? item : `${body},${item}`;
    }
    if (body !== '') out.push(`${head}${body}]}`);
    return out;
  }

  private receive(payload: string): void {
    let wire: Wire;
    try {
      wire = JSON.parse(payload) as Wire;
    } catch {
      return; // not ours: someone else NOTIFYing on the channel
    }
    if (wire.o === this.origin || !Array.isArray(wire.h)) return;
    const hints: Hint[] = [];
    for (const w of wire.h) {
      if (!Array.isArray(w) || typeof w[0] !== 'string') continue;
      if (w.length === 3 && typeof w[1] === 'string' && typeof w[2] === 'number') hints.push({ kind: 'ledger', runtimeId: w[0], runId: w[1], lastSeq: w[2] });
      else if (w[1] === 'r' || w[1] === 'c') hints.push({ kind: w[1] === 'r' ? 'runnable' : 'command', runtimeId: w[0] });
    }
    if (hints.length > 0) this.local.publish(hints);
  }
}
