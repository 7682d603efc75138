// The socket side of one SSE response: writes that respect backpressure, keep-alive comments
// while idle, and the stall limit. A client that stops reading fills its socket; from then on
// nothing more is written (the ledger is not read either, see ledger-watch Backpressure), so a
// stalled stream costs one socket buffer, not its whole replay. If the socket stays full longer
// than the stall limit, the response is destroyed: the client reconnects with Last-Event-ID and
// resumes from the last frame it received, nothing lost and nothing repeated.

import type { ServerResponse } from 'node:http';

export interface SseWriterOptions {
  /** A keep-alive comment goes out when nothing was written for this long. */
  heartbeatMs: number;
  /** A socket that stays full (no 'drain') this long is closed. */
  stallMs: number;
}

export class SseWriter {
  private lastWrite = Date.now();
  /** Set while the socket is full: settles on its one 'drain' (or on close). */
  private drain: { promise: Promise<void>; settle: () => void; onDrain: () => void; stall: NodeJS.Timeout } | null = null;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: SseWriterOptions,
  ) {
    // A full socket gets no keep-alive: it is not idle, and a write there would only queue.
    this.heartbeat = setInterval(() => {
      if (!this.drain && Date.now() - this.lastWrite >= opts.heartbeatMs) this.write(': keep-alive\n\n');
    }, Math.min(opts.heartbeatMs, 1000));
    res.once('close', () => this.stop());
  }

  /** True while the client has not read what was written (the socket is above its high-water mark). */
  get full(): boolean {
    return this.drain !== null;
  }

  /** Writes `chunk`; false when the socket is now full (wait for `drained()` before writing more). */
  write(chunk: string): boolean {
    this.lastWrite = Date.now();
    if (this.res.write(chunk)) return true;
    if (!this.drain && !this.res.destroyed) this.awaitDrain();
    return false;
  }

  /** Settles when the socket can take more, or is closed. */
  drained(): Promise<void> {
    return this.drain?.promise ?? Promise.resolve();
  }

  /** Ends the response after `chunk` (if any) is flushed; the stall limit still applies until then. */
  end(chunk?: string): void {
    clearInterval(this.heartbeat);
    if (!this.res.writableEnded) this.res.end(chunk);
  }

  private awaitDrain(): void {
    let settle!: () => void;
    const promise = new Promise<void>((resolve) => (settle = resolve));
    const onDrain = () => {
      clearTimeout(stall);
      this.drain = null;
      settle();
    };
    const stall = setTimeout(() => {
      this.res.off('drain', onDrain);
      this.res.destroy(); // 'close' follows and stop() settles the waiters
    }, this.opts.stallMs);
    this.res.once('drain', onDrain);
    this.drain = { promise, settle, onDrain, stall };
  }

  private stop(): void {
    clearInterval(this.heartbeat);
    if (!this.drain) return;
    clearTimeout(this.drain.stall);
    this.res.off('drain', this.drain.onDrain);
    this.drain.settle();
    this.drain = null;
  }
}
