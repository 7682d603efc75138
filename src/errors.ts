// The one error type services throw, in the spirit of Fastify's FST_ERR_*: a stable code, the
// HTTP status it maps to, and a message written for the client. The HTTP layer answers
// {"detail": message} with that status and looks at nothing else; anything that is not a
// GatewayError is an internal error (500). This file imports nothing, so every floor can use it.

const STATUS = {
  /** The request is malformed or names something in a way that cannot work. */
  GW_ERR_INVALID: 400,
  /** A `.flow` bundle or manifest breaks a packaging rule. */
  GW_ERR_BAD_BUNDLE: 400,
  GW_ERR_UNAUTHORIZED: 401,
  GW_ERR_FORBIDDEN: 403,
  GW_ERR_NOT_FOUND: 404,
  /** The request contradicts current state (deprecated workflow, reused command id). */
  GW_ERR_CONFLICT: 409,
  GW_ERR_TOO_LARGE: 413,
  GW_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  /** Request validation in FastAPI's list form (detail is a list of items). */
  GW_ERR_VALIDATION: 422,
  GW_ERR_TOO_MANY_REQUESTS: 429,
  GW_ERR_INTERNAL: 500,
  /** Recognised but not offered by this gateway (catalog scopes). */
  GW_ERR_NOT_AVAILABLE: 501,
  /** An upstream (LLM provider) refused, failed or could not be reached. */
  GW_ERR_UPSTREAM: 502,
  GW_ERR_UNAVAILABLE: 503,
  /** The server lacks the configuration the request needs (an LLM provider key or default model). */
  GW_ERR_NOT_CONFIGURED: 503,
  /** An upstream (LLM provider) gave no complete answer in the configured time. */
  GW_ERR_UPSTREAM_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof STATUS;

export interface GatewayErrorOptions {
  /** Body `detail` when it is not the message (the 422 list form). */
  detail?: unknown;
  /** Response headers that belong to the answer (Retry-After, WWW-Authenticate). */
  headers?: Record<string, string>;
  /** Extra body fields next to `detail` (reason_code, required_role, … of the 403s, spec security §1.3). */
  fields?: Record<string, unknown>;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Record<string, string>;
  readonly fields: Record<string, unknown> | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.status = STATUS[code];
    this.detail = options.detail ?? message;
    this.headers = options.headers ?? {};
    this.fields = options.fields;
  }
}

export const invalid = (message: string) => new GatewayError('GW_ERR_INVALID', message);
export const notFound = (message: string) => new GatewayError('GW_ERR_NOT_FOUND', message);
export const conflict = (message: string) => new GatewayError('GW_ERR_CONFLICT', message);
export const internal = (message: string, cause?: unknown) => new GatewayError('GW_ERR_INTERNAL', message, { cause });
