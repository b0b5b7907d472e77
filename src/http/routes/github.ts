import type { FastifyInstance } from 'fastify'
import { InfraSyncError, NotFoundError, ValidationError } from '../../core/errors.js'
import { githubDecision, type InfraRepoRef } from '../../intake/github.js'
import type { GithubSignature } from '../../intake/github-signature.js'
import { acceptEvent, type AcceptDeps } from '../accept-event.js'
import { errorBodySchema } from '../error-handler.js'
import { rawJsonBody } from '../raw-json-body.js'
import { EVENT_BODY_LIMIT } from './events.js'

export interface GithubRoutesDeps extends AcceptDeps {
  readonly github: GithubSignature
  readonly infraRepo: InfraRepoRef
  /** A push to the infra repo's branch: fetch it now rather than at the next poll. */
  readonly onInfraPush: () => void
}

const DELIVERY = /^[0-9A-Za-z-]{1,100}$/

export async function githubRoutes(app: FastifyInstance, deps: GithubRoutesDeps): Promise<void> {
  // GitHub's own limit for webhook payloads is 25 MB; builds are small, and the generic limit keeps memory bounded.
  rawJsonBody(app, EVENT_BODY_LIMIT)

  app.post<{ Body: Buffer }>(
    '/v1/webhooks/github',
    {
      bodyLimit: EVENT_BODY_LIMIT,
      schema: {
        headers: {
          type: 'object',
          properties: {
            'x-github-event': { type: 'string', maxLength: 100 },
            'x-github-delivery': { type: 'string', maxLength: 100 },
            'x-hub-signature-256': { type: 'string', maxLength: 200 },
          },
        },
        response: {
          200: { type: 'object', required: ['status'], properties: { status: { type: 'string' }, reason: { type: 'string' }, ids: { type: 'array', items: { type: 'string' } } } },
          202: { type: 'object', required: ['status', 'ids'], properties: { status: { type: 'string' }, ids: { type: 'array', items: { type: 'string' } } } },
          '4xx': errorBodySchema,
          '5xx': errorBodySchema,
        },
      },
    },
    async (req, reply) => {
      if (!deps.github.configured) throw new NotFoundError('GitHub webhooks are not configured (set INFRA_SYNC_GITHUB_SECRET)', {}, 'GITHUB_NOT_CONFIGURED')
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
      try {
        await deps.github.verify(raw, req.headers['x-hub-signature-256'])
      } catch (e) {
        deps.metrics.eventsReceived.inc({ result: 'refused' })
        throw e
      }
      const name = String(req.headers['x-github-event'] ?? '')
      const delivery = String(req.headers['x-github-delivery'] ?? '')
      if (!name || !DELIVERY.test(delivery)) throw new ValidationError('X-GitHub-Event and X-GitHub-Delivery are required', {}, 'INVALID_INPUT')
      let payload: unknown
      try {
        payload = JSON.parse(raw.toString('utf8'))
      } catch {
        throw new ValidationError('body is not valid JSON', {}, 'INVALID_JSON')
      }
      let decision
      try {
        decision = githubDecision(name, delivery, payload, deps.infraRepo)
      } catch (e) {
        if (e instanceof InfraSyncError) deps.metrics.eventsReceived.inc({ result: 'refused' })
        throw e
      }
      if (decision.kind === 'ignored') {
        req.log.info({ github: name, delivery, reason: decision.reason }, 'GitHub webhook ignored')
        return reply.status(200).send({ status: 'ignored', reason: decision.reason })
      }
      if (decision.kind === 'refresh') {
        deps.onInfraPush()
        return reply.status(200).send({ status: 'refreshing', reason: decision.reason })
      }
      const results = []
      for (const { deliveryId, event } of decision.events) results.push(await acceptEvent(deps, req, `github:${deliveryId}`, event))
      const ids = results.map((r) => r.id)
      if (results.every((r) => r.duplicate)) return reply.status(200).send({ status: 'duplicate', ids })
      return reply.status(202).send({ status: 'queued', ids })
    },
  )
}
