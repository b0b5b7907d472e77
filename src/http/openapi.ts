import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { VERSION } from '../core/version.js'

/** The event body, for the description only: the route reads it raw (the signature covers its bytes) and parseBuildEvent checks it. */
const EVENT_BODY = {
  type: 'object',
  required: ['source', 'image'],
  properties: {
    source: { type: 'string', description: 'The source repository, owner/repo.' },
    image: { type: 'string', description: 'The image repository, without tag or digest.' },
    tag: { type: 'string' },
    digest: { type: 'string', description: 'sha256:<64 hex> or sha512:<128 hex>.' },
    commit: { type: 'string' },
    ref: { type: 'string', description: 'refs/heads/<branch> or refs/tags/<tag>.' },
    builtAt: { type: 'string', format: 'date-time' },
    buildUrl: { type: 'string' },
    emergency: { type: 'boolean', description: 'Pass deploy windows; only from a source with sources.<repo>.emergency: true, else 403 EMERGENCY_FORBIDDEN.' },
  },
  description: 'One of tag or digest is required. Signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature headers).',
} as const

/** Routes of the description's own (the document, the browsable reference): left out of it. */
const OWN = /^\/(openapi\.json|docs)(\/|$)/

/**
 * OpenAPI 3 at /openapi.json and a browsable reference at /docs, generated
 * from the same route schemas fastify validates and serialises with, so the
 * description cannot drift from what the server does. Registered before the
 * routes (fastify-swagger collects them as they are added).
 */
export async function openApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'infra-sync', version: VERSION, description: 'Keeps a GitOps infra repository in step with the images source repositories build.' },
      components: { securitySchemes: { admin: { type: 'http', scheme: 'bearer', description: 'INFRA_SYNC_ADMIN_TOKEN' }, argocd: { type: 'http', scheme: 'bearer', description: 'INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN' } } },
    },
    hideUntagged: false,
    transform: ({ schema, url }) => {
      if (OWN.test(url)) return { schema: { ...schema, hide: true }, url }
      if (url === '/v1/events' && schema && !('body' in schema)) return { schema: { ...schema, body: EVENT_BODY }, url }
      return { schema, url }
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
  app.get('/openapi.json', { schema: { hide: true, response: { 200: { type: 'object', additionalProperties: true } } } }, async () => app.swagger())
}
