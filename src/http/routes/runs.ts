// Run routes (spec core-api §3.2, §3.4–3.7): start, summary, list, inputs, history bundle.

import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { GatewayApp } from '../types.js';
import { GatewayError, internal, invalid } from '../../errors.js';
import { listRuns, runInputData, runSummaryBody, startRun } from '../../gateway/runs.js';
import { historyBundle } from '../../gateway/history-bundle.js';
import { AnyObject, Nullable, OptionalId, OptionalString } from '../schema.js';
import { MAX_IDEMPOTENCY_KEY_CHARS, MAX_REF_CHARS } from '../../model/limits.js';

/** Bytes an export may hold ready beyond what the socket has taken. */
const STREAM_HIGH_WATER = 64 * 1024;

const RunParams = Type.Object({ run_id: Type.String() });

const StartBody = Type.Object(
  {
    bundle_id: OptionalId("Bundle id or 'id@version'. Optional when flow_id is namespaced ('bundle:flow').", MAX_REF_CHARS),
    flow_id: OptionalId(
      "Flow id, 'bundle[@version]:flow', or a raw registered workflow id. Optional when the bundle has one (or a default) entrypoint.",
      MAX_REF_CHARS,
    ),
    bundle_version: OptionalId('Exact bundle version; default: the latest loaded (published preferred).'),
    input_data: Type.Optional(AnyObject('Run inputs: entrypoint pin values plus well-known keys (workspace_root, context, ...).')),
    session_id: OptionalId("Groups related runs; default: the new run's own id."),
    registry_scope: OptionalString("'private' (default). Catalog scopes are not available on this gateway."),
    thinking: Type.Optional(Type.Unknown({ description: 'Run-wide reasoning control (bool or string) → input_data._runtime.thinking.' })),
    run_lifecycle: Type.Optional(Nullable(AnyObject(), { description: "Control-plane metadata, sanitized into _run_lifecycle (purpose 'draft_test' marks drafts)." })),
  },
  { additionalProperties: true },
);

const StartHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      maxLength: MAX_IDEMPOTENCY_KEY_CHARS,
      description: "Repeating a key with the same body returns the first request's run_id instead of starting another run; with another body: 409.",
    }),
  ),
});

const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Maximum number of runs (most recently updated first).' }),
  status: Type.Optional(Type.String({ description: 'running|waiting|completed|failed|cancelled (case-insensitive).' })),
  workflow_id: Type.Optional(Type.String({ description: 'Exact workflow id. When given, internal (__*) workflows are not hidden.' })),
  session_id: Type.Optional(Type.String({ description: 'Exact session id.' })),
  root_only: Type.Boolean({ default: false, description: 'Only runs without a parent.' }),
  include_ledger_len: Type.Boolean({ default: true, description: 'Include ledger_len (number of ledger records).' }),
  include_metrics: Type.Boolean({ default: false, description: 'Include steps/llm_calls/tool_calls/tokens_total over completed ledger records.' }),
  include_drafts: Type.Boolean({ default: false, description: "Include draft-test runs (run_lifecycle.purpose 'draft_test')." }),
});

const HistoryQuery = Type.Object({
  include_subruns: Type.Boolean({ default: true, description: 'Include descendant runs.' }),
  include_session: Type.Boolean({ default: false, description: "Include the session's earlier root runs as turns." }),
  session_turn_limit: Type.Integer({ minimum: 1, maximum: 500, default: 200 }),
  ledger_mode: Type.String({ default: 'tail', description: 'tail|full' }),
  ledger_max_items: Type.Integer({ minimum: 0, maximum: 20000, default: 2000, description: 'Records kept per run in tail mode (0 = full).' }),
});

export async function runRoutes(app: GatewayApp): Promise<void> {
  app.post(
    '/runs/start',
    { schema: { tags: ['runs'], summary: 'Start a run of a bundle entrypoint (or flow); returns {run_id}', body: StartBody, headers: StartHeaders } },
    async (req) => {
      return { run_id: await startRun(req.plane, req.body, req.headers['idempotency-key']?.trim() || undefined) };
    },
  );

  app.get('/runs', { schema: { tags: ['runs'], summary: 'List recent runs (summaries, never full vars)', querystring: ListQuery } }, async (req) => ({
    items: await listRuns(req.plane, req.query),
  }));

  app.get('/runs/:run_id', { schema: { tags: ['runs'], summary: 'Run summary', params: RunParams } }, async (req, reply) =>
    reply.type('application/json; charset=utf-8').send(await runSummaryBody(req.plane, req.params.run_id)),
  );

  app.get(
    '/runs/:run_id/input_data',
    { schema: { tags: ['runs'], summary: 'The inputs a run was started with (for re-run / follow-up)', params: RunParams } },
    (req) => runInputData(req.plane, req.params.run_id),
  );

  app.get(
    '/runs/:run_id/history_bundle',
    { schema: { tags: ['runs'], summary: 'RunHistoryBundle v1: run tree ledgers, artifacts and timeline', params: RunParams, querystring: HistoryQuery } },
    async (req, reply) => {
      const mode = req.query.ledger_mode.trim().toLowerCase();
      if (mode !== 'tail' && mode !== 'full') throw invalid("ledger_mode must be 'tail' or 'full'");
      let chunks: AsyncIterable<string>;
      try {
        chunks = await historyBundle(req.plane, req.params.run_id, { ...req.query, ledger_mode: mode }, req.plane.historyLimits);
      } catch (err) {
        if (err instanceof GatewayError) throw err;
        throw internal(`Failed to export history bundle: ${(err as Error).message}`, err);
      }
      // Pulled by the socket: the next chunk is produced only when the last one has been taken.
      // A fault mid-stream can no longer change the status: Fastify logs it and cuts the connection.
      return reply.type('application/json; charset=utf-8').send(Readable.from(chunks, { objectMode: false, highWaterMark: STREAM_HIGH_WATER }));
    },
  );
}
