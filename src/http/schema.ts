// Small TypeBox helpers shared by route schemas.

import { Type, type TSchema } from '@sinclair/typebox';
import { MAX_ID_CHARS } from '../model/limits.js';

/**
 * `T | null`, with null listed first: Ajv's type coercion tries anyOf branches in order, so
 * `[String, Null]` would silently turn a JSON null into "".
 */
export const Nullable = <T extends TSchema>(t: T, opts: { description?: string } = {}) => Type.Union([Type.Null(), t], opts);

/** An optional `string | null` field, the shape of FastAPI's `Optional[str] = None`. */
export const OptionalString = (description: string) => Type.Optional(Nullable(Type.String(), { description }));

/** A JSON object with any keys. */
export const AnyObject = (description?: string) => Type.Record(Type.String(), Type.Unknown(), description ? { description } : {});

/** An id (run, command, session, bundle, flow): at most `max` characters, so it fits in a path (422 beyond). */
export const IdString = (description: string, max = MAX_ID_CHARS) => Type.String({ description, maxLength: max });

/** An optional `string | null` id. */
export const OptionalId = (description: string, max = MAX_ID_CHARS) => Type.Optional(Nullable(IdString('', max), { description }));
