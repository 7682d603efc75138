// GET /runs/{run_id}/ledger/stream — Server-Sent Events with the reference's framing, but
// push-driven: the stream follows the runtime's ledger watcher (subscribe, then replay), so a
// record reaches clients as soon as it commits. Frames go out in chunks of about 16 KiB; when
// the client stops reading, the stream stops taking records (it holds a cursor, not a growing
// buffer) and is closed once its socket stays full past the stall limit (SseWriter). Resumes
// from `Last-Event-ID` as well as `?after=`; a cursor past the end of the ledger means "at the end".
// While an LLM call of the run streams, its text goes out as `event: llm_delta` frames: no `id`
// (they are not ledger records and never move the client's cursor), dropped while the socket is
// full (the durable result follows as a step record anyway).

import { Type } from '@sinclair/typebox';
import type { GatewayApp } from '../types.js';
import { followLedger, nothingToFollow } from '../../gateway/ledger.js';
import { loadRun } from '../../gateway/runs.js';
import { SseWriter } from '../sse-writer.js';

/** Frames are batched into writes of about this many characters (one socket high-water mark). */
const CHUNK_CHARS = 16 * 1024;

export interface LedgerStreamOptions {
  /** A stream whose socket stays full this long is closed (ABSTRACTGATEWAY_SSE_STALL_S). */
  stallMs: number;
}

const Params = Type.Object({ run_id: Type.String() });
const Query = Type.Object({
  after: Type.Integer({ minimum: 0, default: 0 }),
  heartbeat_s: Type.Number({ exclusiveMinimum: 0.1, maximum: 60, default: 5 }),
});

/** `record` is the record's stored JSON, serialized once for all subscribers. */
const stepFrame = (record: string, cursor: number) => `id: ${cursor}\nevent: step\ndata: {"cursor":${cursor},"record":${record}}\n\n`;

const deltaFrame = (delta: object) => `event: llm_delta\ndata: ${JSON.stringify(delta)}\n\n`;

/** The larger of ?after= and a numeric Last-Event-ID (the last cursor the client saw). */
function startCursor(after: number, lastEventId: string | string[] | undefined): number {
  const v = Array.isArray(lastEventId) ? lastEventId[0] : lastEventId;
  const n = v !== undefined && /^\d+$/.test(v.trim()) ? Number(v.trim()) : 0;
  return Math.max(after, n);
}

export async function ledgerStreamRoutes(app: GatewayApp, opts: LedgerStreamOptions): Promise<void> {
  // On shutdown, end open streams so the server can close; clients resume from their cursor.
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });

  app.get(
    '/runs/:run_id/ledger/stream',
    {
      schema: {
        tags: ['ledger'],
        summary: 'Stream ledger records as Server-Sent Events (replay from a cursor, then live)',
        params: Params,
        querystring: Query,
        produces: ['text/event-stream'],
      },
    },
    async (req, reply) => {
      const runId = req.params.run_id;
      const stored = await loadRun(req.plane, runId); // 404 before any header goes out
      let cursor = Math.min(startCursor(req.query.after, req.headers['last-event-id']), stored.ledger_len);

      const res = reply.raw;
      reply.hijack();
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      const out = new SseWriter(res, { heartbeatMs: req.query.heartbeat_s * 1000, stallMs: opts.stallMs });

      let closed = false;
      const finish = () => {
        if (closed) return;
        closed = true;
        sub.close();
        unlive();
        out.end(`event: done\ndata: ${JSON.stringify({ run_id: runId, cursor, status: 'terminal' })}\n\n`);
      };
      const sub = followLedger(
        req.plane,
        runId,
        cursor,
        (_records, _next, json) => {
          if (closed) return;
          // Take records while the socket accepts them; a full socket stops the reading.
          let chunk = '';
          let taken = 0;
          while (taken < json.length) {
            chunk += stepFrame(json[taken], cursor + taken + 1);
            taken++;
            if (chunk.length < CHUNK_CHARS && taken < json.length) continue;
            const more = out.write(chunk);
            chunk = '';
            if (!more) break;
          }
          cursor += taken;
          return out.full ? { taken, ready: out.drained() } : undefined;
        },
        () => finish(),
      );
      const unlive = req.plane.live.subscribe(runId, (delta) => {
        if (!closed && !out.full) out.write(deltaFrame(delta));
      });
      const release = () => {
        closed = true;
        sub.close();
        unlive();
        open.delete(end);
      };
      const end = () => {
        release();
        out.end();
      };
      open.add(end);
      res.on('close', release);

      if (await nothingToFollow(req.plane, stored.run, cursor)) finish();
    },
  );
}
