/**
 * The HTTP side of the error catalogue: every error answer is `{ error: { code, message } }` with a code from
 * shared/src/errors.ts and its sentence, never a stack or a detail. Route input is validated with zod schemas
 * through Fastify's validator compiler.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { ERROR_SENTENCES, isKindredError, type ErrorCode } from '@kindred/shared/errors';

export interface HttpErrorBody {
  error: { code: ErrorCode; message: string };
}

export function errorBody(code: ErrorCode): HttpErrorBody {
  return { error: { code, message: ERROR_SENTENCES[code] } };
}

export function sendError(reply: FastifyReply, status: number, code: ErrorCode): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(errorBody(code));
}

const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  MALFORMED: 400,
  BAD_VERSION: 400,
  BAD_LENGTH: 400,
  UNKNOWN_EVENT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAUTHENTICATED: 401,
  AUTH_FAILED: 401,
  AUTH_EXPIRED: 401,
  FORBIDDEN: 403,
  NOT_FACILITATOR: 403,
  NOT_MEMBER: 403,
  BANNED: 403,
  INVITE_INVALID: 403,
  UNAVAILABLE: 503,
};

/** The status and catalogue code for anything a route or Fastify threw. */
export function classifyError(error: unknown): { status: number; code: ErrorCode } {
  if (isKindredError(error)) return { status: STATUS_OF[error.code] ?? 500, code: STATUS_OF[error.code] ? error.code : 'INTERNAL' };
  const e = error as Partial<FastifyError> | null;
  if (e?.validation !== undefined) return { status: 400, code: 'BAD_REQUEST' };
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status === 404) return { status, code: 'NOT_FOUND' };
  if (status === 413) return { status, code: 'PAYLOAD_TOO_LARGE' };
  if (status === 429) return { status, code: 'RATE_LIMITED' };
  if (status === 503) return { status, code: 'UNAVAILABLE' };
  if (status >= 400 && status < 500) return { status, code: 'BAD_REQUEST' };
  return { status: 500, code: 'INTERNAL' };
}

/** Zod schemas as route schemas (`schema: { querystring: SomeZodSchema }`); an invalid request is a 400. */
export function registerZodValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema }) => (data: unknown) => {
    const r = (schema as z.ZodType).safeParse(data);
    // The zod issues stay on the server: the client learns only BAD_REQUEST.
    return r.success ? { value: r.data } : { error: new Error('request does not match its schema') };
  });
}

export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, code } = classifyError(error);
    if (status >= 500) request.log.error({ err: error, code }, 'request failed');
    else request.log.debug({ code, status }, 'request refused');
    return sendError(reply, status, code);
  });
}
