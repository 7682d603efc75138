// Small TypeBox helpers shared by route schemas.

import { Type, type TSchema } from '@sinclair/typebox';

/**
 * `T | null`, with null listed first: Ajv's type coercion tries anyOf branches in order, so
 * `[String, Null]` would silently turn a JSON null into "".
 */
export const Nullable = <T extends TSchema>(t: T, opts: { description?: string } = {}) => Type.Union([Type.Null(), t], opts);

/** An optional `string | null` field, the shape of FastAPI's `Optional[str] = None`. */
export const OptionalString = (description: string) => Type.Optional(Nullable(Type.String(), { description }));

/** A JSON object with any keys. */
export const AnyObject = (description?: string) => Type.Record(Type.String(), Type.Unknown(), description ? { description } : {});
