import type { FastifyInstance, FastifyRequest } from 'fastify'
import { InfraSyncError, NotFoundError } from '../../core/errors.js'
import { errorBodySchema } from '../error-handler.js'
import { sameToken } from './events.js'

/** The Argo CD notifications token is missing or wrong. */
export class ArgoCdWebhookAuthError extends InfraSyncError {
  constructor() {
    super('ARGOCD_WEBHOOK_UNAUTHORIZED', 'this endpoint needs Authorization: Bearer <INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN>')
  }
}

export interface ArgoCdRoutesDeps {
  /** INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN; absent: the route answers 404 ARGOCD_WEBHOOK_NOT_CONFIGURED. */
  readonly argocdWebhookToken?: string | undefined
  /** Look at the promotions that wait on this Application now (every repo's worker). */
  readonly onArgoCd?: (application: string) => void
}

const application = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', description: "The Application's name: {{.app.metadata.name}} in the notification template." } as const

/**
 * Argo CD notifications (a webhook service with an on-deployed or
 * on-health-degraded trigger) call this with the Application's name: a hint
 * to ask Argo CD about its promotions now. The poll decides either way, so a
 * lost or forged hint changes nothing but timing; it still needs the token.
 */
export async function argocdRoutes(app: FastifyInstance, deps: ArgoCdRoutesDeps): Promise<void> {
  const auth = async (req: FastifyRequest) => {
    const token = deps.argocdWebhookToken
    if (!token) throw new NotFoundError('Argo CD notifications are not configured (set INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN)', {}, 'ARGOCD_WEBHOOK_NOT_CONFIGURED')
    if (!sameToken(req.headers.authorization ?? '', `Bearer ${token}`)) throw new ArgoCdWebhookAuthError()
  }
  app.post<{ Body: { application: string } }>(
    '/v1/webhooks/argocd',
    {
      schema: {
        summary: "Argo CD notifications: an Application was synced or changed health; infra-sync looks at the promotions waiting on it now instead of at the next poll.",
        security: [{ argocd: [] }],
        body: {
          type: 'object',
          required: ['application'],
          // The template is the operator's: extra fields (revision, health) are allowed and read by nobody.
          additionalProperties: true,
          properties: { application, revision: { type: 'string', maxLength: 100 }, health: { type: 'string', maxLength: 100 }, sync: { type: 'string', maxLength: 100 } },
        },
        response: { 202: { type: 'object', required: ['status', 'application'], properties: { status: { type: 'string', enum: ['accepted'] }, application: { type: 'string' } } }, '4xx': errorBodySchema, '5xx': errorBodySchema },
      },
      onRequest: auth,
    },
    async (req, reply) => {
      deps.onArgoCd?.(req.body.application)
      return reply.status(202).send({ status: 'accepted', application: req.body.application })
    },
  )
}
