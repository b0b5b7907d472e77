import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AdminAuthError, ConflictError, NotFoundError } from '../../core/errors.js'
import type { EventStatus } from '../../core/change-set.js'
import { claimGenericEvent, verifyGenericEvent, type GenericClaim } from '../../intake/generic-event.js'
import type { SourceKeys } from '../../intake/secrets.js'
import { namedSource, SOURCE_HEADER } from '../../intake/source-name.js'
import type { Hmac } from '../../intake/standard-webhooks.js'
import { targetStatus } from '../../plan/event-status.js'
import type { EventRecord } from '../../store/store.js'
import { acceptEvent, type AcceptDeps } from '../accept-event.js'
import { errorBodySchema } from '../error-handler.js'
import { rawJsonBody } from '../raw-json-body.js'

export interface EventRoutesDeps extends AcceptDeps {
  readonly keys: () => SourceKeys
  /** INFRA_SYNC_ADMIN_TOKEN: required by the operator endpoints when set. */
  readonly adminToken?: string | undefined
  /** Without a token, loopback callers may use the operator endpoints: only on the embedded default. */
  readonly adminLoopback?: boolean
  /** The HMAC the intake computes; tests inject a counting one. */
  readonly hmac?: Hmac
  /** A commit's page on its infra repo's forge (commit-web-url.ts), by the repo's name when there are several; undefined for a local repo. */
  readonly commitUrl?: ((sha: string, repo?: string) => string | undefined) | undefined
}

export const accepted = {
  type: 'object',
  required: ['id', 'status'],
  properties: { id: { type: 'string' }, status: { type: 'string' }, duplicate: { type: 'string' } },
} as const

const STATUSES = ['queued', 'proposed', 'waiting', 'applied', 'superseded', 'declined', 'skipped', 'rejected', 'failed', 'dead'] as const

const pullRequest = {
  type: 'object',
  required: ['number', 'url', 'state'],
  properties: {
    number: { type: 'integer' },
    url: { type: 'string' },
    state: { type: 'string', enum: ['open', 'closed', 'merged'] },
    mergeCommit: { type: 'string', description: 'Once merged: the commit on the base branch.' },
    mergedBy: { type: 'string', description: 'Once merged: who merged it (a login; a bot for auto-merge).' },
    mergedAt: { type: 'string', description: 'Once merged: when.' },
  },
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
    status: { type: 'string', enum: ['applied', 'proposed', 'waiting', 'superseded', 'declined', 'skipped', 'rejected'] },
    nextOpenAt: { type: 'string', description: 'Status waiting: when the next deploy window opens.' },
    promotedFrom: { type: 'object', required: ['environment', 'commit'], properties: { environment: { type: 'string' }, commit: { type: 'string' } }, description: 'A promotion: the environment the build was Healthy in first, and the commit that deployed it there (the Promoted-From trailer).' },
    pullRequest,
    repo: { type: 'string', description: 'The infra repo (its name in repos:) of this target, when the server serves several.' },
  },
} as const

const eventStatus = {
  type: 'object',
  required: ['id', 'status', 'targets'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: STATUSES },
    code: { type: 'string' },
    reason: { type: 'string' },
    commit: { type: 'string' },
    commitUrl: { type: 'string', description: "The commit's page on the infra repo's forge, when the repo is an http(s) or SSH URL." },
    pullRequest,
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

/** An event id is a ULID: anything else is a 400, not a lookup. */
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9A-HJKMNP-TV-Z]{26}$' } } } as const

function view(r: EventRecord, commitUrl: EventRoutesDeps['commitUrl']) {
  return {
    id: r.id,
    status: r.status,
    ...(r.code !== undefined && { code: r.code }),
    ...(r.reason !== undefined && { reason: r.reason }),
    ...(r.commit !== undefined && { commit: r.commit }),
    ...(r.commit !== undefined && commitUrl?.(r.commit, r.commitRepo) !== undefined && { commitUrl: commitUrl(r.commit, r.commitRepo)! }),
    ...(r.pullRequest !== undefined && { pullRequest: r.pullRequest }),
    source: r.source,
    image: r.event.image,
    ...(r.event.tag !== undefined && { tag: r.event.tag }),
    ...(r.event.digest !== undefined && { digest: r.event.digest }),
    receivedAt: r.receivedAt,
    updatedAt: r.updatedAt,
    attempts: r.attempts,
    ...(r.nextAttemptAt !== undefined && (r.status === 'failed' || r.status === 'waiting') && { nextAttemptAt: r.nextAttemptAt }),
    // Records from before pull requests have no target status: read as their decision says.
    targets: r.targets.map((t) => ({ ...t, status: targetStatus(t) })),
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])

const digest = (s: string) => createHash('sha256').update(s).digest()

/** Equal-length digests compared in constant time: neither the token's bytes nor its length leak through timing. */
export function sameToken(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected))
}

/** The operator endpoints: the admin token when one is configured; without one, callers on this machine, and only on the embedded default. */
export function checkAdmin(req: FastifyRequest, token: string | undefined, loopback: boolean): void {
  if (token) {
    if (!sameToken(req.headers.authorization ?? '', `Bearer ${token}`)) throw new AdminAuthError('ADMIN_UNAUTHORIZED', 'this endpoint needs Authorization: Bearer <INFRA_SYNC_ADMIN_TOKEN>')
    return
  }
  if (!loopback) throw new AdminAuthError('ADMIN_TOKEN_REQUIRED', 'set INFRA_SYNC_ADMIN_TOKEN to use this endpoint')
  if (!LOOPBACK.has(req.ip)) throw new AdminAuthError('ADMIN_TOKEN_REQUIRED', 'set INFRA_SYNC_ADMIN_TOKEN to use this endpoint from another machine')
}

export async function eventRoutes(app: FastifyInstance, deps: EventRoutesDeps): Promise<void> {
  rawJsonBody(app, EVENT_BODY_LIMIT)
  const claims = new WeakMap<FastifyRequest, GenericClaim>()
  function refused(e: unknown): never {
    deps.metrics.eventsReceived.inc({ result: 'refused' })
    throw e
  }

  app.post<{ Body: Buffer }>(
    '/v1/events',
    {
      bodyLimit: EVENT_BODY_LIMIT,
      schema: {
        summary: 'An image was built: the signed event from a source\'s CI.',
        headers: {
          type: 'object',
          properties: {
            'content-type': { type: 'string' },
            'webhook-id': { type: 'string', maxLength: 256 },
            'webhook-timestamp': { type: 'string', maxLength: 20 },
            'webhook-signature': { type: 'string', maxLength: 4096 },
            [SOURCE_HEADER]: { type: 'string', maxLength: 200 },
          },
        },
        response: { 200: accepted, 202: accepted, '4xx': errorBodySchema, '5xx': errorBodySchema },
      },
      // Before the body is read: a request without a usable signature or source costs no read, no HMAC.
      onRequest: async (req, reply) => {
        try {
          claims.set(req, claimGenericEvent(req.headers, namedSource(req.headers, req.query), deps.keys(), deps.clock()))
        } catch (e) {
          // The body is never read: close the connection rather than drain it.
          reply.header('connection', 'close')
          refused(e)
        }
      },
    },
    async (req, reply) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
      let intake
      try {
        intake = verifyGenericEvent(raw, claims.get(req)!, deps.keys(), deps.hmac)
      } catch (e) {
        refused(e)
      }
      const res = await acceptEvent(deps, req, intake.deliveryId, intake.event)
      if (res.duplicate) return reply.status(200).send({ id: res.id, status: res.status, duplicate: res.duplicate })
      return reply.status(202).header('location', `/v1/events/${res.id}`).send({ id: res.id, status: 'queued' })
    },
  )

  app.get<{ Params: { id: string } }>(
    '/v1/events/:id',
    {
      schema: {
        summary: 'What became of an event: its status, commit or pull request, and every target.',
        params: idParams,
        response: { 200: eventStatus, '4xx': errorBodySchema },
      },
    },
    async (req) => {
      const r = await deps.store.get(req.params.id)
      if (!r) throw new NotFoundError(`no event ${req.params.id}`, { id: req.params.id })
      return view(r, deps.commitUrl)
    },
  )

  app.get<{ Querystring: { status: EventStatus; limit: number } }>(
    '/v1/events',
    {
      schema: {
        summary: 'Events with a status, newest first (operators: dead letters, what is queued).',
        security: [{ admin: [] }],
        querystring: {
          type: 'object',
          required: ['status'],
          additionalProperties: false,
          properties: { status: { type: 'string', enum: STATUSES }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        },
        response: { 200: { type: 'object', required: ['events'], properties: { events: { type: 'array', items: eventStatus } } }, '4xx': errorBodySchema },
      },
    },
    async (req) => {
      checkAdmin(req, deps.adminToken, deps.adminLoopback === true)
      return { events: (await deps.store.list(req.query.status, req.query.limit)).map((r) => view(r, deps.commitUrl)) }
    },
  )

  app.post<{ Params: { id: string } }>(
    '/v1/events/:id/retry',
    {
      schema: {
        summary: 'Puts a dead or failed event back in the queue.',
        security: [{ admin: [] }],
        params: idParams,
        response: { 200: eventStatus, '4xx': errorBodySchema },
      },
    },
    async (req) => {
      checkAdmin(req, deps.adminToken, deps.adminLoopback === true)
      const r = await deps.store.retry(req.params.id, deps.clock())
      if (!r) throw new NotFoundError(`no event ${req.params.id}`, { id: req.params.id })
      if (r.status !== 'queued') throw new ConflictError('EVENT_NOT_RETRYABLE', `event ${r.id} is ${r.status}; only dead, failed or waiting events are retried`, { status: r.status })
      deps.onAccepted(r.id)
      req.log.info({ event: r.id }, 'event retried by hand')
      return view(r, deps.commitUrl)
    },
  )
}
