// The durable command inbox (spec core-api §5): POST /commands appends idempotently and
// answers at once; the runner applies the command later. GET /commands/{id} reads its
// outcome (an extension: the reference only logs failures).

import { Type } from '@sinclair/typebox';
import type { GatewayApp } from '../types.js';
import { getCommand, submitCommand } from '../../gateway/commands.js';
import { COMMAND_TYPES } from '../../model/command.js';
import { AnyObject, IdString, OptionalString } from '../schema.js';

const TYPES = COMMAND_TYPES.join('|');

const SubmitBody = Type.Object({
  command_id: IdString('Client idempotency key (UUID recommended). A blank value is replaced by a random id (no idempotency).'),
  run_id: IdString('Target run id (for emit_event: the default session id).'),
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
      return submitCommand(req.plane, { command_id: b.command_id, run_id: b.run_id, type: b.type, payload: b.payload ?? {}, ts: b.ts || null, client_id: b.client_id || null });
    },
  );

  app.get(
    '/commands/:command_id',
    { schema: { tags: ['commands'], summary: 'A command and its outcome: state pending|applied|rejected, reason, applied_at', params: CommandParams } },
    async (req) => {
      const c = await getCommand(req.plane, req.params.command_id);
      const { command_id, run_id, type, payload, ts, client_id, seq, state, reason, applied_at } = c;
      return { command_id, run_id, type, payload, ts, client_id, seq, state, reason, applied_at };
    },
  );
}
