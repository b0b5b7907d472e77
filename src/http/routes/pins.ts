import type { FastifyInstance } from 'fastify'
import { NotFoundError, ValidationError } from '../../core/errors.js'
import { isValidDigest, isValidTag } from '../../core/image-ref.js'
import type { PinRecord } from '../../store/pins.js'
import { errorBodySchema } from '../error-handler.js'
import { checkAdmin, type EventRoutesDeps } from './events.js'

export type PinRoutesDeps = Pick<EventRoutesDeps, 'store' | 'clock' | 'adminToken' | 'adminLoopback' | 'onAccepted'>

/** A name as infra-sync.yaml and folders use them (the same rule as GET /v1/deployments). */
export const nameSchema = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' } as const

export const valueSchema = { type: 'string', minLength: 1, maxLength: 400, description: 'A tag, a digest (sha256:…) or tag@digest, as the file writes it.' } as const

/** Printable and single-line: a reason goes into skip reasons and commit messages. */
export const reasonSchema = { type: 'string', minLength: 1, maxLength: 500, pattern: '^[^\\u0000-\\u001f\\u007f]*$' } as const

export const pinSchema = {
  type: 'object',
  required: ['service', 'environment', 'kind', 'createdAt'],
  properties: {
    service: { type: 'string' },
    environment: { type: 'string' },
    value: { type: 'string', description: 'The value held. Absent: whatever the file holds.' },
    kind: { type: 'string', enum: ['rollback', 'manual'], description: 'Set by a rollback (POST /v1/rollbacks) or by hand (POST /v1/pins).' },
    reason: { type: 'string' },
    createdAt: { type: 'string' },
    repo: { type: 'string', description: 'The infra repo (its name in repos:) whose pin this is, when the server serves several.' },
  },
} as const

/** A value as a build would give it: a tag, a digest, or both; null when it is neither. */
export function parseValue(value: string): { tag?: string; digest?: string } | null {
  const at = value.indexOf('@')
  if (at >= 0) {
    const [tag, digest] = [value.slice(0, at), value.slice(at + 1)]
    return isValidTag(tag) && isValidDigest(digest) ? { tag, digest } : null
  }
  if (isValidDigest(value)) return { digest: value }
  return isValidTag(value) ? { tag: value } : null
}

/** A refusal whose code the shared error table does not know: sent here with its status. */

const params = { type: 'object', required: ['service', 'environment'], properties: { service: nameSchema, environment: nameSchema } } as const

/**
 * Pins set by hand through the API (and listed with those rollbacks set):
 * while one stands, builds skip that (service, environment) with code
 * `pinned`. Behind the admin token, checked before the body is read.
 */
export async function pinRoutes(app: FastifyInstance, deps: PinRoutesDeps): Promise<void> {
  const admin = async (req: Parameters<typeof checkAdmin>[0]) => checkAdmin(req, deps.adminToken, deps.adminLoopback === true)

  app.get('/v1/pins', { schema: { summary: 'Every pin set through the API (rollbacks and manual pins).', security: [{ admin: [] }], response: { 200: { type: 'object', required: ['pins'], properties: { pins: { type: 'array', items: pinSchema } } }, '4xx': errorBodySchema, '5xx': errorBodySchema } }, onRequest: admin }, async () => ({
    pins: await deps.store.pins.list(),
  }))

  app.post<{ Body: { service: string; environment: string; value?: string; reason?: string } }>(
    '/v1/pins',
    {
      schema: {
        summary: 'Pins a service in an environment: builds skip it (code pinned) until it is unpinned. Replaces a pin already there.',
        security: [{ admin: [] }],
        body: {
          type: 'object',
          required: ['service', 'environment'],
          additionalProperties: false,
          properties: { service: nameSchema, environment: nameSchema, value: { ...valueSchema, description: 'The value held; default: the value infra-sync last deployed there, when it has.' }, reason: reasonSchema },
        },
        response: { 200: pinSchema, '4xx': errorBodySchema, '5xx': errorBodySchema },
      },
      onRequest: admin,
    },
    async (req, reply) => {
      const { service, environment, reason } = req.body
      if (req.body.value !== undefined && !parseValue(req.body.value)) throw new ValidationError('value: must be a tag, a digest (sha256:<64 hex>) or tag@digest', { field: 'value' }, 'INVALID_VALUE')
      const value = req.body.value ?? (await deps.store.deployments({ service, environment, limit: 1 }))[0]?.to
      const pin: PinRecord = { service, environment, ...(value !== undefined && { value }), kind: 'manual', ...(reason !== undefined && { reason }), createdAt: deps.clock().toISOString() }
      await deps.store.pins.set(pin)
      req.log.info({ service, environment, value }, 'pinned by hand')
      return pin
    },
  )

  app.delete<{ Params: { service: string; environment: string } }>(
    '/v1/pins/:service/:environment',
    {
      schema: {
        summary: 'Removes the pin of a service in an environment. Builds skipped while it stood are not applied again: the next build is.',
        security: [{ admin: [] }],
        params,
        response: { 200: { type: 'object', required: ['removed'], properties: { removed: pinSchema } }, '4xx': errorBodySchema, '5xx': errorBodySchema },
      },
      onRequest: admin,
    },
    async (req, reply) => {
      const { service, environment } = req.params
      const removed = (await deps.store.pins.list()).find((p) => p.service === service && p.environment === environment)
      if (!(await deps.store.pins.remove(service, environment))) throw new NotFoundError(`${service}/${environment} has no pin set through the API (a pin in infra-sync.yaml or a "# infra-sync: pin" comment is removed in the infra repo)`, { service, environment }, 'PIN_NOT_FOUND')
      // Wakes this process's worker, so events still waiting are planned without the pin at once.
      deps.onAccepted(`unpin:${service}/${environment}`)
      req.log.info({ service, environment }, 'unpinned')
      return { removed: removed ?? { service, environment, kind: 'manual', createdAt: deps.clock().toISOString() } }
    },
  )
}
