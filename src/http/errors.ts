// One place that turns failures into the reference's error bodies: {"detail": "..."} for
// handler errors, FastAPI's list form for request validation (422). Client mistakes never
// become a 500, and server faults never pass for client mistakes: a storage fault (full disk,
// read-only data dir) is a 503 whatever layer it escaped from. No server path leaves in a body.

import type { FastifyError, FastifyInstance, FastifyReply, onResponseHookHandler } from 'fastify';
import { GatewayError } from '../errors.js';
import { FaultStreak } from '../model/fault-streak.js';
import { faultReason, isStorageFault, storageFault } from '../store/faults.js';
import type { Redactor } from './redact.js';

export function sendError(reply: FastifyReply, e: GatewayError, redact?: Redactor): FastifyReply {
  const detail = redact && typeof e.detail === 'string' ? redact(e.detail, e.status >= 500) : e.detail;
  return reply.code(e.status).headers(e.headers).type('application/json; charset=utf-8').send(e.fields ? { detail, ...e.fields } : { detail });
}

interface AjvError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, any>;
}

const LOC_ROOT: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

/**
 * A value that fails a `T | null` union (Nullable) gets three errors: "not null", the reason
 * it is not a valid T, and "matches no branch". Only the reason tells the client anything.
 */
function withoutUnionNoise(errors: AjvError[]): AjvError[] {
  const reasons = new Set(errors.filter((e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && e.params.type === 'null')).map((e) => e.instancePath));
  return errors.filter((e) => !reasons.has(e.instancePath) || (e.keyword !== 'anyOf' && !(e.keyword === 'type' && e.params.type === 'null')));
}

/** Ajv errors → FastAPI-style items {type, loc, msg, input}. */
function validationItems(errors: AjvError[], context: string, input: unknown) {
  return withoutUnionNoise(errors).map((e) => {
    const path = e.instancePath.split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const loc: (string | number)[] = [LOC_ROOT[context] ?? context, ...path];
    let type = e.keyword;
    let msg = e.message ?? 'Invalid value';
    if (e.keyword === 'required') {
      loc.push(e.params.missingProperty);
      type = 'missing';
      msg = 'Field required';
    } else if (e.keyword === 'type') {
      type = `${e.params.type}_type`;
      msg = `Input should be a valid ${e.params.type}`;
    } else if (e.keyword === 'minimum' || e.keyword === 'exclusiveMinimum') {
      type = e.keyword === 'minimum' ? 'greater_than_equal' : 'greater_than';
      msg = `Input should be ${e.keyword === 'minimum' ? 'greater than or equal to' : 'greater than'} ${e.params.limit}`;
    } else if (e.keyword === 'maximum' || e.keyword === 'exclusiveMaximum') {
      type = e.keyword === 'maximum' ? 'less_than_equal' : 'less_than';
      msg = `Input should be ${e.keyword === 'maximum' ? 'less than or equal to' : 'less than'} ${e.params.limit}`;
    } else if (e.keyword === 'maxLength') {
      type = 'string_too_long';
      msg = `String should have at most ${e.params.limit} characters`;
    } else if (e.keyword === 'additionalProperties') {
      loc.push(e.params.additionalProperty);
      type = 'extra_forbidden';
      msg = 'Extra inputs are not permitted';
    }
    return { type, loc, msg, input: pick(input, path) };
  });
}

function pick(v: unknown, path: (string | number)[]): unknown {
  let cur: any = v;
  for (const p of path) cur = cur === null || typeof cur !== 'object' ? undefined : cur[p];
  return cur ?? null;
}

/** The 503 for an error that is (or wraps) a storage fault. */
function asServerFault(err: unknown): GatewayError | undefined {
  return storageFault(err) ?? (err instanceof GatewayError && err.status >= 500 && isStorageFault(err.cause) ? storageFault(err.cause) : undefined);
}

/**
 * `report`: where server faults are logged (a storage fault once per streak, every 500);
 * `redact`: scrubs server paths from error messages. Returns the onResponse hook that ends a
 * storage fault streak with the next write request that succeeds (install it where writes are).
 */
export function installErrorHandling(app: FastifyInstance, report: (message: string) => void, redact: Redactor): onResponseHookHandler {
  const storage = new FaultStreak('request on the data store', report);
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const fault = asServerFault(err);
    if (fault) {
      storage.fail(faultReason(fault));
      return sendError(reply, fault);
    }
    if (err instanceof GatewayError) return sendError(reply, err, redact);
    if (err.validation) {
      const input = err.validationContext === 'querystring' ? req.query : err.validationContext === 'params' ? req.params : req.body;
      return reply.code(422).send({ detail: validationItems(err.validation as AjvError[], err.validationContext ?? 'body', input) });
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, new GatewayError('GW_ERR_TOO_LARGE', `Payload Too Large (${req.headers['content-length'] ?? '?'} bytes > ${app.initialConfig.bodyLimit} bytes)`));
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(reply, new GatewayError('GW_ERR_UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type'));
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return reply.code(422).send({ detail: [{ type: 'json_invalid', loc: ['body'], msg: 'JSON decode error', input: null }] });
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      // Fastify's own client errors (FST_ERR_*): keep their status and message.
      return reply.code(err.statusCode).type('application/json; charset=utf-8').send({ detail: redact(err.message, false) });
    }
    report(`unhandled error on ${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}: ${(err as Error).stack ?? err}`);
    return sendError(reply, new GatewayError('GW_ERR_INTERNAL', 'Internal Server Error'));
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, new GatewayError('GW_ERR_NOT_FOUND', 'Not Found')));
  // A callback hook, not an async one: it runs on every response of its scope.
  return (req, reply, done) => {
    if (storage.failing && req.method !== 'GET' && req.method !== 'HEAD' && reply.statusCode < 400) storage.ok();
    done();
  };
}
