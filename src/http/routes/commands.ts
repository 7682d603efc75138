// The durable command inbox (spec core-api §5): POST /commands appends idempotently and
// answers at once; the runner applies the command later. GET /commands/{id} reads its
// outcome (an extension: the reference only logs failures).

import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { GatewayApp } from '../types.js';
import { conflict, invalid, notFound } from '../../errors.js';
import { COMMAND_TYPES } from '../../model/command.js';
import { AnyObject, OptionalString } from '../schema.js';

const TYPES = COMMAND_TYPES.join('|');

const SubmitBody = Type.Object({
  command_id: Type.String({ description: 'Client idempotency key (UUID recommended). A blank value is replaced by a random id (no idempotency).' }),
  run_id: Type.String({ description: 'Target run id (for emit_event: the default session id).' }),
  type: Type.String({ description: TYPES }),
  payload: Type.Optional(AnyObject('Type-specific payload, e.g. resume {wait_key, payload:{response}}.')),
  ts: OptionalString('Client timestamp, stored as given (default: server now).'),
  client_id: OptionalString('Opaque client id; forwarded as emitter.client_id for events.'),
});

const CommandParams = Type.Object({ command_id: Type.String() });

export async function commandRoutes(app: GatewayApp): Promise<void> {
  app.post(
    '/commands',
    { schema: { tags: ['commands'], summary: 'Append a command to the durable inbox → {accepted, duplicate, seq}', body: SubmitBody } },
    async (req) => {
      const b = req.body;
      const type = b.type.trim();
      // Case-sensitive at the API, like the reference (the runner would accept any case).
      if (!(COMMAND_TYPES as readonly string[]).includes(type)) throw invalid(`type must be one of ${TYPES}`);
      if (!b.run_id.trim()) throw invalid('Failed to append command: CommandRecord.run_id must be non-empty');
      // Reference quirk kept: a blank command_id is not an error, it just loses idempotency.
      const commandId = b.command_id.trim() || randomUUID();
      let res;
      try {
        res = await req.plane.runtime.submitCommand({ command_id: commandId, run_id: b.run_id, type, payload: b.payload ?? {}, ts: b.ts || null, client_id: b.client_id || null });
      } catch (err) {
        throw invalid(`Failed to append command: ${(err as Error).message}`);
      }
      if ('conflict' in res) throw conflict(`Command '${commandId}' was already submitted with a different run_id, type or payload (seq ${res.seq})`);
      return { accepted: res.accepted, duplicate: res.duplicate, seq: res.seq };
    },
  );

  app.get(
    '/commands/:command_id',
    { schema: { tags: ['commands'], summary: 'A command and its outcome: state pending|applied|rejected, reason, applied_at', params: CommandParams } },
    async (req) => {
      const c = await req.plane.runtime.getCommand(req.params.command_id);
      if (!c) throw notFound(`Command '${req.params.command_id}' not found`);
      const { command_id, run_id, type, payload, ts, client_id, seq, state, reason, applied_at } = c;
      return { command_id, run_id, type, payload, ts, client_id, seq, state, reason, applied_at };
    },
  );
}
