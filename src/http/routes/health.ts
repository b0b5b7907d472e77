import type { FastifyInstance } from 'fastify'
import type { Metrics } from '../../observability/metrics.js'

export interface Readiness {
  readonly ready: boolean
  /** Ready, but something it depends on is failing (the body says what): still 200, so intake keeps taking events. */
  readonly degraded?: boolean
  readonly checks: Record<string, string>
  /** Whether this replica's worker holds the repo's lease (absent until it knows): several replicas share one database, one deploys. */
  readonly worker?: { readonly leader: boolean }
  /** Several infra repos (repos:): each one's readiness and leadership on this replica. */
  readonly repos?: Readonly<Record<string, { readonly ready: boolean; readonly leader?: boolean }>>
}

export interface HealthRoutesDeps {
  readonly readiness: () => Promise<Readiness>
  readonly metrics: Metrics
}

const health = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    checks: { type: 'object', additionalProperties: { type: 'string' } },
    worker: { type: 'object', properties: { leader: { type: 'boolean' } } },
    repos: { type: 'object', additionalProperties: { type: 'object', properties: { ready: { type: 'boolean' }, leader: { type: 'boolean' } } } },
  },
} as const

export async function healthRoutes(app: FastifyInstance, deps: HealthRoutesDeps): Promise<void> {
  app.get('/healthz', { schema: { response: { 200: health } } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { schema: { response: { 200: health, 503: health } } }, async (_req, reply) => {
    const r = await deps.readiness()
    return reply.status(r.ready ? 200 : 503).send({ status: !r.ready ? 'not ready' : r.degraded ? 'degraded' : 'ready', checks: r.checks, ...(r.worker && { worker: r.worker }), ...(r.repos && { repos: r.repos }) })
  })

  app.get('/metrics', { schema: { response: { 200: { type: 'string' } } } }, async (_req, reply) => {
    const text = await deps.metrics.registry.metrics()
    return reply.type(deps.metrics.registry.contentType).send(text)
  })
}
