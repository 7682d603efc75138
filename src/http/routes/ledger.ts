// Ledger replay (spec core-api §4.2–4.3): pages of a run's append-only ledger by cursor.
// `after` = number of records already consumed; `next_after = after + items.length`.
// The SSE stream (§4.4) lives in ledger-stream.ts.

import { Type } from '@sinclair/typebox';
import type { GatewayApp } from '../types.js';
import type { Host } from '../../gateway/host.js';
import type { LedgerPage } from '../../store/types.js';
import { notFound } from '../../errors.js';
import { ledgerPageBody } from '../../gateway/ledger-pages.js';

const MAX_PAGE = 2000;

const Params = Type.Object({ run_id: Type.String() });
const PageQuery = Type.Object({
  after: Type.Integer({ minimum: 0, default: 0, description: 'Cursor: number of records already consumed.' }),
  limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 200 }),
});
const BatchBody = Type.Object({
  runs: Type.Array(
    Type.Object({
      run_id: Type.String(),
      after: Type.Integer({ minimum: 0, default: 0 }),
    }),
    { default: [] },
  ),
  limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 200, description: 'Page size per run.' }),
});

/** A page, or null when the run does not exist. Existence is only checked when the page is empty (the hot path reads once). */
async function page(host: Host, runId: string, after: number, limit: number): Promise<LedgerPage | null> {
  const p = await host.runtime.readLedger(runId, after, limit);
  if (p.items.length > 0) return p;
  return (await host.runtime.store.getRun(runId)) ? p : null;
}

export async function ledgerRoutes(app: GatewayApp): Promise<void> {
  app.get(
    '/runs/:run_id/ledger',
    { schema: { tags: ['ledger'], summary: 'Replay a page of ledger records after a cursor', params: Params, querystring: PageQuery } },
    async (req, reply) => {
      // The hot replay path forwards stored JSON (never parsed and re-serialized); full pages are cached.
      const { run_id: runId } = req.params;
      const { body, count } = await ledgerPageBody(req.plane, runId, req.query.after, req.query.limit);
      if (count === 0 && !(await req.plane.runtime.store.getRun(runId))) throw notFound(`Run '${runId}' not found`);
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );

  app.post(
    '/runs/ledger/batch',
    { schema: { tags: ['ledger'], summary: 'Ledger pages for several runs at once (unknown runs are omitted)', body: BatchBody } },
    async (req) => {
      const runs: Record<string, LedgerPage> = {};
      for (const { run_id, after } of req.body.runs) {
        const id = run_id.trim();
        if (!id) continue;
        const p = await page(req.plane, id, after, req.body.limit).catch(() => null);
        if (p) runs[id] = p;
      }
      return { runs };
    },
  );
}
