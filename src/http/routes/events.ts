import type { FastifyInstance } from 'fastify'
import { NotFoundError } from '../../core/errors.js'
import { intakeGenericEvent } from '../../intake/generic-event.js'
import type { SourceKeys } from '../../intake/secrets.js'
import type { Metrics } from '../../observability/metrics.js'
import type { Store } from '../../store/store.js'
import { errorBodySchema } from '../error-handler.js'

export interface EventRoutesDeps {
  readonly store: Store
  readonly keys: () => SourceKeys
  readonly clock: () => Date
  readonly metrics: Metrics
  /** Called after an event is durably stored. */
  readonly onAccepted: (id: string) => void
}

const accepted = {
  type: 'object',
  required: ['id', 'status'],
  properties: { id: { type: 'string' }, status: { type: 'string' } },
} as const

const target = {
  type: 'object',
  properties: {
    service: { type: 'string' },
    environment: { type: 'string' },
    file: { type: ['string', 'null'] },
    image: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    decision: { type: 'string', enum: ['update', 'skip', 'reject'] },
    code: { type: 'string' },
    reason: { type: 'string' },
    update: { type: 'string' },
  },
} as const

const eventStatus = {
  type: 'object',
  required: ['id', 'status', 'targets'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'applied', 'skipped', 'rejected', 'failed', 'dead'] },
    code: { type: 'string' },
    reason: { type: 'string' },
    commit: { type: 'string' },
    pullRequest: { type: 'string' },
    source: { type: 'string' },
    image: { type: 'string' },
    tag: { type: 'string' },
    digest: { type: 'string' },
    receivedAt: { type: 'string' },
    updatedAt: { type: 'string' },
    attempts: { type: 'integer' },
    nextAttemptAt: { type: 'string' },
    targets: { type: 'array', items: target },
  },
} as const

export const EVENT_BODY_LIMIT = 1024 * 1024

export async function eventRoutes(app: FastifyInstance, deps: EventRoutesDeps): Promise<void> {
  // Signatures are over the exact bytes sent, so the body reaches the handler unparsed; JSON is the only type taken (else 415).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: EVENT_BODY_LIMIT }, (_req, body, done) => done(null, body))

  app.post<{ Body: Buffer }>(
    '/v1/events',
    {
      bodyLimit: EVENT_BODY_LIMIT,
      schema: {
        headers: {
          type: 'object',
          properties: {
            'content-type': { type: 'string' },
            'webhook-id': { type: 'string', maxLength: 256 },
            'webhook-timestamp': { type: 'string', maxLength: 20 },
            'webhook-signature': { type: 'string', maxLength: 4096 },
          },
        },
        response: { 200: accepted, 202: accepted, '4xx': errorBodySchema, '5xx': errorBodySchema },
      },
    },
    async (req, reply) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
      let intake
      try {
        intake = intakeGenericEvent(raw, req.headers, deps.keys(), deps.clock())
      } catch (e) {
        deps.metrics.eventsReceived.inc({ result: 'refused' })
        throw e
      }
      const res = await deps.store.accept({ source: intake.event.source, deliveryId: intake.deliveryId, event: intake.event, receivedAt: deps.clock() })
      deps.metrics.eventsReceived.inc({ result: res.duplicate ? 'duplicate' : 'accepted' })
      if (res.duplicate) return reply.status(200).send({ id: res.id, status: res.status })
      deps.onAccepted(res.id)
      req.log.info({ event: res.id, source: intake.event.source, image: intake.event.image, tag: intake.event.tag }, 'event accepted')
      return reply.status(202).header('location', `/v1/events/${res.id}`).send({ id: res.id, status: 'queued' })
    },
  )

  app.get<{ Params: { id: string } }>(
    '/v1/events/:id',
    {
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9A-HJKMNP-TV-Z]{26}$' } } },
        response: { 200: eventStatus, '4xx': errorBodySchema },
      },
    },
    async (req) => {
      const r = await deps.store.get(req.params.id)
      if (!r) throw new NotFoundError(`no event ${req.params.id}`, { id: req.params.id })
      return {
        id: r.id,
        status: r.status,
        ...(r.code !== undefined && { code: r.code }),
        ...(r.reason !== undefined && { reason: r.reason }),
        ...(r.commit !== undefined && { commit: r.commit }),
        ...(r.pullRequest !== undefined && { pullRequest: r.pullRequest }),
        source: r.source,
        image: r.event.image,
        ...(r.event.tag !== undefined && { tag: r.event.tag }),
        ...(r.event.digest !== undefined && { digest: r.event.digest }),
        receivedAt: r.receivedAt,
        updatedAt: r.updatedAt,
        attempts: r.attempts,
        ...(r.nextAttemptAt !== undefined && r.status === 'failed' && { nextAttemptAt: r.nextAttemptAt }),
        targets: r.targets,
      }
    },
  )
}
