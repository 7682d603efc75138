// GET /runs/{run_id}/ledger/stream — Server-Sent Events with the reference's framing, but
// push-driven: the stream follows the runtime's ledger watcher (subscribe, then replay), so a
// record reaches clients as soon as it commits. Frames produced together go out in one write;
// a slow client is awaited (it holds a cursor, not a growing buffer). Resumes from
// `Last-Event-ID` as well as `?after=`.

import { Type } from '@sinclair/typebox';
import type { GatewayApp } from '../types.js';
import { followLedger, nothingToFollow } from '../../gateway/ledger.js';
import { loadRun } from '../../gateway/runs.js';

const Params = Type.Object({ run_id: Type.String() });
const Query = Type.Object({
  after: Type.Integer({ minimum: 0, default: 0 }),
  heartbeat_s: Type.Number({ exclusiveMinimum: 0.1, maximum: 60, default: 5 }),
});

/** One write per batch; `json` is each record's JSON, serialized once for all subscribers. */
function stepFrames(json: string[], firstCursor: number): string {
  let out = '';
  json.forEach((record, i) => {
    const cursor = firstCursor + i;
    out += `id: ${cursor}\nevent: step\ndata: {"cursor":${cursor},"record":${record}}\n\n`;
  });
  return out;
}

/** The larger of ?after= and a numeric Last-Event-ID (the last cursor the client saw). */
function startCursor(after: number, lastEventId: string | string[] | undefined): number {
  const v = Array.isArray(lastEventId) ? lastEventId[0] : lastEventId;
  const n = v !== undefined && /^\d+$/.test(v.trim()) ? Number(v.trim()) : 0;
  return Math.max(after, n);
}

export async function ledgerStreamRoutes(app: GatewayApp): Promise<void> {
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
      const { run: initial } = await loadRun(req.plane, runId); // 404 before any header goes out
      let cursor = startCursor(req.query.after, req.headers['last-event-id']);

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

      let closed = false;
      let lastWrite = Date.now();
      const heartbeatMs = req.query.heartbeat_s * 1000;
      const write = async (chunk: string) => {
        lastWrite = Date.now();
        if (!res.write(chunk) && !closed) {
          await new Promise<void>((resolve) => {
            const done = () => {
              res.off('drain', done).off('close', done);
              resolve();
            };
            res.on('drain', done).on('close', done);
          });
        }
      };
      const finish = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        sub.close();
        if (!res.writableEnded) res.end(`event: done\ndata: ${JSON.stringify({ run_id: runId, cursor, status: 'terminal' })}\n\n`);
      };
      const heartbeat = setInterval(() => {
        if (Date.now() - lastWrite >= heartbeatMs) void write(': keep-alive\n\n');
      }, Math.min(heartbeatMs, 1000));

      const sub = followLedger(
        req.plane,
        runId,
        cursor,
        async (_records, next, json) => {
          if (closed) return;
          await write(stepFrames(json, cursor + 1));
          cursor = next;
        },
        () => finish(),
      );
      const release = () => {
        closed = true;
        clearInterval(heartbeat);
        sub.close();
        open.delete(end);
      };
      const end = () => {
        release();
        res.end();
      };
      open.add(end);
      res.on('close', release);

      if (await nothingToFollow(req.plane, initial, cursor)) finish();
    },
  );
}
