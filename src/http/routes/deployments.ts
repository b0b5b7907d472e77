import type { FastifyInstance } from 'fastify'
import type { DeploymentRecord } from '../../store/store.js'
import { errorBodySchema } from '../error-handler.js'
import { checkAdmin, type EventRoutesDeps } from './events.js'

export type DeploymentRoutesDeps = Pick<EventRoutesDeps, 'store' | 'adminToken' | 'adminLoopback' | 'commitUrl'>

const deployment = {
  type: 'object',
  required: ['seq', 'eventId', 'service', 'environment', 'image', 'to', 'builtAt', 'commit', 'appliedAt', 'kind'],
  properties: {
    seq: { type: 'integer', description: "The row's place in its repo's history (larger is newer): pass the last one seen as `before` for the next page." },
    eventId: { type: 'string' },
    service: { type: 'string' },
    environment: { type: 'string' },
    image: { type: 'string' },
    from: { type: 'string', description: 'The value before (absent: the image had none there).' },
    to: { type: 'string' },
    tag: { type: 'string' },
    digest: { type: 'string' },
    builtAt: { type: 'string' },
    commit: { type: 'string', description: "The infra repo's commit that carries the change (a pull request's merge commit)." },
    commitUrl: { type: 'string', description: "The commit's page on the infra repo's forge, when the repo is an http(s) or SSH URL." },
    appliedAt: { type: 'string' },
    source: { type: 'string', description: 'The source repository (owner/repo) whose build this is. Absent on rows recorded before it was kept.' },
    sourceCommit: { type: 'string', description: 'The source commit the build was made from, as its CI said.' },
    buildUrl: { type: 'string' },
    pullRequest: { type: 'object', required: ['number', 'url'], properties: { number: { type: 'integer' }, url: { type: 'string' } } },
    mergedBy: { type: 'string', description: 'Who merged the pull request (a login; a bot for auto-merge).' },
    kind: { type: 'string', enum: ['deploy', 'rollback', 'promotion'] },
    healthyAt: { type: 'string', description: 'When Argo CD first reported the deployment Healthy at a revision carrying it (recorded while a promotion watches it).' },
    failedAt: { type: 'string', description: 'When it was seen Degraded or its sync failed, instead.' },
    healthReason: { type: 'string', description: "Argo CD's word on the failure." },
    repo: { type: 'string', description: 'The infra repo (its name in repos:) of the row, when the server serves several.' },
  },
} as const

/** A name as infra-sync.yaml and folders use them: no need to take more than that from a query. */
const name = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' } as const

function view(d: DeploymentRecord, commitUrl: EventRoutesDeps['commitUrl']) {
  const url = commitUrl?.(d.commit, d.repo)
  return { ...d, ...(url !== undefined && { commitUrl: url }) }
}

/** Deployment history for people and the CLI (`infra-sync history`), behind the admin token like the other operator reads. */
export async function deploymentRoutes(app: FastifyInstance, deps: DeploymentRoutesDeps): Promise<void> {
  app.get<{ Querystring: { service?: string; environment?: string; limit: number; before?: number } }>(
    '/v1/deployments',
    {
      schema: {
        summary: 'Deployment history, newest first: what changed where, from which build and source commit, by which commit or pull request, and who merged it.',
        security: [{ admin: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            service: name,
            environment: name,
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
            before: { type: 'integer', minimum: 1, description: 'Only rows older than this seq (the next page).' },
          },
        },
        response: { 200: { type: 'object', required: ['deployments'], properties: { deployments: { type: 'array', items: deployment } } }, '4xx': errorBodySchema, '5xx': errorBodySchema },
      },
      // Before the query is read: a caller without the token learns nothing, not even which queries are well formed.
      onRequest: async (req) => checkAdmin(req, deps.adminToken, deps.adminLoopback === true),
    },
    async (req) => {
      const { service, environment, limit, before } = req.query
      const rows = await deps.store.deployments({ limit, ...(service !== undefined && { service }), ...(environment !== undefined && { environment }), ...(before !== undefined && { before }) })
      return { deployments: rows.map((d) => view(d, deps.commitUrl)) }
    },
  )
}
