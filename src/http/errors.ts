// One error format for every route: { "error": { "code", "message" } } with the status
// chosen by the code (domain/errors.ts). Fastify's own errors (bad JSON, a body over the
// limit, a wrong content type) are mapped onto the same codes; anything unexpected is
// logged and answered with a generic 500, never a stack.

import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { DarkroomError, type ErrorCode } from '../domain/errors.js';

export function sendError(reply: FastifyReply, code: ErrorCode | string, message: string, status: number) {
  return reply.status(status).send({ error: { code, message } });
}

const FASTIFY_CODES: Record<string, [ErrorCode | string, number, string?]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ['invalid_json', 400],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid_json', 400, 'The request body is empty; send a JSON object'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['payload_too_large', 413, 'The request body is larger than allowed'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type', 415],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['invalid_request', 400],
  FST_REQ_FILE_TOO_LARGE: ['payload_too_large', 413, 'The uploaded file is larger than allowed'],
  FST_FILES_LIMIT: ['invalid_request', 400, 'Too many files in one request'],
  FST_PARTS_LIMIT: ['invalid_request', 400, 'Too many parts in one request'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: ['unsupported_media_type', 415, 'Expected a multipart/form-data request'],
  FST_ERR_VALIDATION: ['invalid_parameter', 400],
};

export function installErrorHandling(app: FastifyInstance) {
  app.setNotFoundHandler((request, reply) => sendError(reply, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}`, 404));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (DarkroomError.isInstance(error)) {
      const retryAfter = (error as DarkroomError & { retryAfter?: number }).retryAfter;
      if (retryAfter !== undefined) reply.header('Retry-After', String(retryAfter));
      if (error.status >= 500) request.log.error({ err: { code: error.code, message: error.message } }, 'request failed');
      return sendError(reply, error.code, error.message, error.status);
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (known) return sendError(reply, known[0], known[2] ?? error.message, known[1]);
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, 'invalid_request', error.message, error.statusCode);
    }
    request.log.error({ err: { message: error.message, stack: error.stack } }, 'unexpected error');
    return sendError(reply, 'internal', 'Something went wrong on the server; it was logged.', 500);
  });
}
