import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { InfraSyncError } from '../core/errors.js'

/** The one table from error code to HTTP status. */
const STATUS: Record<string, number> = {
  SIGNATURE_MISSING: 401,
  SIGNATURE_INVALID: 401,
  TIMESTAMP_OUT_OF_RANGE: 401,
  SOURCE_REQUIRED: 401,
  SOURCE_UNKNOWN: 401,
  SOURCE_FORBIDDEN: 403,
  EMERGENCY_FORBIDDEN: 403,
  ADMIN_UNAUTHORIZED: 401,
  ADMIN_TOKEN_REQUIRED: 403,
  NOT_FOUND: 404,
  GITHUB_NOT_CONFIGURED: 404,
  ARGOCD_WEBHOOK_NOT_CONFIGURED: 404,
  ARGOCD_WEBHOOK_UNAUTHORIZED: 401,
  EVENT_NOT_RETRYABLE: 409,
  NOTHING_TO_ROLL_BACK: 409,
  PIN_NOT_FOUND: 404,
  SERVICE_NOT_FOUND: 404,
  INVALID_VALUE: 400,
  // A worker that cannot read now (a standby, a store or remote outage): ask again, here or at another replica.
  WORKER_NOT_READY: 503,
  GIT_REMOTE: 503,
  RATE_LIMITED: 429,
  INVALID_JSON: 400,
  INVALID_EVENT: 400,
  INVALID_IMAGE_REF: 400,
  INVALID_INPUT: 400,
  STORE_UNAVAILABLE: 503,
}

/** Fastify's own errors that reach us, by their code. */
const FASTIFY: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'INVALID_CONTENT_LENGTH' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_JSON' },
  FST_ERR_VALIDATION: { status: 400, code: 'INVALID_INPUT' },
}

export const errorBodySchema = {
  type: 'object',
  required: ['code', 'reason'],
  properties: { code: { type: 'string' }, reason: { type: 'string' } },
} as const

export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof InfraSyncError) {
    const status = STATUS[error.code] ?? 500
    if (status === 503) reply.header('retry-after', '5')
    if (status === 429) reply.header('retry-after', String(error.data.retryAfterSeconds ?? 1))
    if (status >= 500) request.log.error({ code: error.code, reason: error.message }, 'request failed')
    else request.log.debug({ code: error.code, reason: error.message }, 'refusal reason')
    void reply.status(status).send({ code: error.code, reason: error.message })
    return
  }
  const fe = error as FastifyError
  const known = fe.code ? FASTIFY[fe.code] : undefined
  if (known) {
    void reply.status(known.status).send({ code: known.code, reason: fe.message })
    return
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    void reply.status(fe.statusCode).send({ code: fe.code ?? 'BAD_REQUEST', reason: fe.message })
    return
  }
  request.log.error({ err: error }, 'unexpected error')
  void reply.status(500).send({ code: 'INTERNAL', reason: 'internal error' })
}
