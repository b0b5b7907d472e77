import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { ConflictError, ValidationError } from '../../core/errors.js'
import type { BuildEvent } from '../../core/build-event.js'
import type { PinRecord } from '../../store/pins.js'
import type { DeploymentRecord } from '../../store/store.js'
import { errorBodySchema } from '../error-handler.js'
import { checkAdmin, type EventRoutesDeps } from './events.js'
import { nameSchema, parseValue, pinSchema, reasonSchema, valueSchema } from './pins.js'

export type RollbackRoutesDeps = Pick<EventRoutesDeps, 'store' | 'clock' | 'adminToken' | 'adminLoopback' | 'onAccepted'>

interface RollbackBody {
  readonly service: string
  readonly environment: string
  readonly to?: string
  readonly reason?: string
  readonly force?: boolean
  readonly requestId?: string
}

/** How far back history is read for the row that first deployed the value (its build time, source commit, build URL). */
const ORIGIN_ROWS = 200

/** The source named on a rollback of rows recorded before history kept their source. */
const UNKNOWN_SOURCE = 'infra-sync/rollback'

/**
 * The row that brought `value` there: the newest whose value is it, or, for
 * a tag alone, whose tag is it. Its build time orders later builds after an
 * unpin as the original build did.
 */
function originOf(rows: readonly DeploymentRecord[], value: string, parsed: { tag?: string; digest?: string }): DeploymentRecord | undefined {
  return rows.find((r) => r.to === value) ?? (parsed.digest === undefined ? rows.find((r) => r.tag === parsed.tag) : undefined)
}

/**
 * POST /v1/rollbacks: sets a service's environment back to the value before
 * the current one (or `to`) through the normal pipeline, and pins it there.
 * The pin is stored first, then the event: a crash between leaves a pin
 * and no event, which a retry of the same request (requestId) completes.
 */
export async function rollbackRoutes(app: FastifyInstance, deps: RollbackRoutesDeps): Promise<void> {
  app.post<{ Body: RollbackBody }>(
    '/v1/rollbacks',
    {
      schema: {
        summary: "Rolls a service back in one environment to the value before the current one (or `to`), as a commit or pull request as the environment says, and pins it there until it is unpinned.",
        security: [{ admin: [] }],
        body: {
          type: 'object',
          required: ['service', 'environment'],
          additionalProperties: false,
          properties: {
            service: nameSchema,
            environment: nameSchema,
            to: { ...valueSchema, description: "The value to go back to; default: the current deployment's `from`." },
            reason: reasonSchema,
            force: { type: 'boolean', description: 'Pass deploy windows: the rollback goes out even while its target\'s windows are closed.' },
            requestId: { type: 'string', pattern: '^[A-Za-z0-9-]{8,64}$', description: 'Makes a retried request the same rollback (the CLI sends one); default: a new one.' },
          },
        },
        response: {
          202: {
            type: 'object',
            required: ['id', 'status', 'value', 'pin'],
            properties: { id: { type: 'string', description: 'The event; follow it with GET /v1/events/{id}.' }, status: { type: 'string' }, duplicate: { type: 'string' }, from: { type: 'string' }, value: { type: 'string' }, pin: pinSchema },
          },
          '4xx': errorBodySchema,
          '5xx': errorBodySchema,
        },
      },
      onRequest: async (req) => checkAdmin(req, deps.adminToken, deps.adminLoopback === true),
    },
    async (req, reply) => {
      const { service, environment, reason, force } = req.body
      const rows = await deps.store.deployments({ service, environment, limit: ORIGIN_ROWS })
      const current = rows[0]
      // The history, not the infra repo, says what was there: infra-sync rolls back what it deployed.
      if (!current) throw new ConflictError('NOTHING_TO_ROLL_BACK', `infra-sync has deployed nothing to ${service}/${environment}: there is no value to go back to (POST /v1/pins holds one)`, { service, environment })
      const value = req.body.to ?? current.from
      if (value === undefined) throw new ConflictError('NOTHING_TO_ROLL_BACK', `the first deployment of ${service}/${environment} set ${current.to} where there was none: name a value with "to"`, { service, environment })
      const parsed = parseValue(value)
      if (!parsed) throw new ValidationError('to: must be a tag, a digest (sha256:<64 hex>) or tag@digest', { field: 'to' }, 'INVALID_VALUE')
      const origin = originOf(rows, value, parsed)
      const request = req.body.requestId ?? randomUUID()
      const source = current.source ?? origin?.source ?? UNKNOWN_SOURCE
      const event: BuildEvent = {
        source,
        image: current.image,
        ...parsed,
        ...(origin?.sourceCommit !== undefined && { commit: origin.sourceCommit }),
        ...(origin && { builtAt: origin.builtAt }),
        ...(origin?.buildUrl !== undefined && { buildUrl: origin.buildUrl }),
        rollback: { service, environment, request, ...(force && { force: true }) },
      }
      const now = deps.clock()
      const pin: PinRecord = { service, environment, value, kind: 'rollback', reason: reason ?? `rolled back from ${current.to}`, createdAt: now.toISOString() }
      await deps.store.pins.set(pin)
      const res = await deps.store.accept({ source, deliveryId: `rollback:${request}`, event, receivedAt: now })
      if (!res.duplicate) deps.onAccepted(res.id)
      req.log.info({ event: res.id, service, environment, from: current.to, to: value, force: force === true }, 'rollback accepted')
      return reply
        .status(202)
        .header('location', `/v1/events/${res.id}`)
        .send({ id: res.id, status: res.status, ...(res.duplicate && { duplicate: res.duplicate }), from: current.to, value, pin })
    },
  )
}
