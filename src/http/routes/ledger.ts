// Ledger replay (spec core-api §4.2–4.3): pages of a run's append-only ledger by cursor.
// `after` = number of records already consumed; `next_after = after + items.length`.
// The SSE stream (§4.4) lives in ledger-stream.ts.

import { Type } from '@sinclair/typebox';
import type { GatewayApp } from '../types.js';
import { ledgerBatch, ledgerPageBody } from '../../gateway/ledger.js';

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

export async function ledgerRoutes(app: GatewayApp): Promise<void> {
  app.get(
    '/runs/:run_id/ledger',
    { schema: { tags: ['ledger'], summary: 'Replay a page of ledger records after a cursor', params: Params, querystring: PageQuery } },
    async (req, reply) => {
      // The hot replay path forwards stored JSON (never parsed and re-serialized); full pages are cached.
      const body = await ledgerPageBody(req.plane, req.params.run_id, req.query.after, req.query.limit);
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );

  app.post(
    '/runs/ledger/batch',
    { schema: { tags: ['ledger'], summary: 'Ledger pages for several runs at once (unknown runs are omitted)', body: BatchBody } },
    async (req) => ({ runs: await ledgerBatch(req.plane, req.body.runs, req.body.limit) }),
  );
}
