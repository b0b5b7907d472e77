import type { FastifyInstance } from 'fastify'
import { InfraSyncError, NotFoundError } from '../../core/errors.js'
import type { ServicesReply } from '../../worker/messages.js'
import { errorBodySchema } from '../error-handler.js'
import { checkAdmin, type EventRoutesDeps } from './events.js'

export interface ServiceRoutesDeps extends Pick<EventRoutesDeps, 'adminToken' | 'adminLoopback' | 'commitUrl'> {
  /**
   * Every repo's services as its worker thread reads them at its head, joined
   * with that repo's history and open pull requests (RepoWorkers.services).
   * Absent (tests of other routes): the route answers WORKER_NOT_READY.
   */
  readonly services?: ((service?: string) => Promise<readonly { readonly repo?: string; readonly reply: ServicesReply | null }[]>) | undefined
}

const problem = { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } as const

const row = {
  type: 'object',
  required: ['service', 'recorded'],
  properties: {
    service: { type: 'string' },
    environment: { type: 'string', description: 'Absent on the row of a service whose infra-sync.yaml is refused (see `error`).' },
    image: { type: 'string' },
    value: { type: 'string', description: "What the environment's file holds now at the worker's head: `tag`, `digest` or `tag@digest`. Absent when it sets none." },
    tag: { type: 'string' },
    digest: { type: 'string' },
    file: { type: 'string', description: 'The file that sets the image.' },
    recorded: { type: 'boolean', description: "Whether the value is the one infra-sync's history last deployed there. False: set by a person or a tool (or never recorded); `since` and the delivery fields are then absent." },
    since: { type: 'string', description: 'When infra-sync deployed the value (its commit, or the merge of its pull request).' },
    commit: { type: 'string', description: "The infra repo's commit that carried it." },
    commitUrl: { type: 'string' },
    pullRequest: { type: 'object', required: ['number', 'url'], properties: { number: { type: 'integer' }, url: { type: 'string' } }, description: 'The pull request that carried it, when one did.' },
    mergedBy: { type: 'string' },
    kind: { type: 'string', enum: ['deploy', 'rollback', 'promotion'] },
    sourceCommit: { type: 'string' },
    buildUrl: { type: 'string' },
    pin: {
      type: 'object',
      required: ['by'],
      properties: {
        by: { type: 'string', enum: ['config', 'marker', 'api'], description: '`config`: `pin` in infra-sync.yaml; `marker`: `# infra-sync: pin` on the value line; `api`: a rollback or POST /v1/pins.' },
        value: { type: 'string' },
        kind: { type: 'string', enum: ['rollback', 'manual'], description: 'An API pin: set by a rollback or by hand.' },
        reason: { type: 'string' },
      },
      description: 'A pin: builds do not change this environment. Absent: not pinned.',
    },
    update: { type: 'string', enum: ['commit', 'pull-request'] },
    policy: { type: 'string' },
    openPullRequest: { type: 'object', required: ['number', 'url'], properties: { number: { type: 'integer' }, url: { type: 'string' }, value: { type: 'string' } } },
    window: {
      type: 'object',
      required: ['open'],
      properties: {
        open: { type: 'boolean' },
        reason: { type: 'string', enum: ['deny', 'outside-allow'], description: 'Closed: a deny window is open, or no allow window is.' },
        nextOpenAt: { type: 'string', description: 'Closed: when changes may next go out (absent: no opening within the look-ahead).' },
      },
      description: "The environment's deploy windows (its own, its service's, else the server's) as read at the request. Absent: none apply.",
    },
    error: { ...problem, description: "The service's infra-sync.yaml is refused, or this environment's value cannot be read." },
    repo: { type: 'string', description: 'The infra repo (its name in repos:), when the server serves several.' },
  },
} as const

const head = { type: 'object', required: ['commit'], properties: { repo: { type: 'string' }, commit: { type: ['string', 'null'], description: 'null: the branch has no commit yet.' } } } as const

const name = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' } as const



/** What runs where (`infra-sync status`), behind the admin token like the other operator reads. */
export async function serviceRoutes(app: FastifyInstance, deps: ServiceRoutesDeps): Promise<void> {
  app.get<{ Querystring: { service?: string } }>(
    '/v1/services',
    {
      schema: {
        summary: "What runs where: each service's environments with the value their file holds at the worker's head, since when and by which commit or pull request, pins, update mode and policy, and the open pull request.",
        security: [{ admin: [] }],
        querystring: { type: 'object', additionalProperties: false, properties: { service: name } },
        response: {
          200: { type: 'object', required: ['services', 'heads'], properties: { services: { type: 'array', items: row }, heads: { type: 'array', items: head, description: 'The commit each repo was read at.' } } },
          '4xx': errorBodySchema,
          '5xx': errorBodySchema,
        },
      },
      onRequest: async (req) => checkAdmin(req, deps.adminToken, deps.adminLoopback === true),
    },
    async (req, reply) => {
      const { service } = req.query
      const answers = deps.services ? await deps.services(service) : []
      if (answers.length === 0) throw new InfraSyncError('WORKER_NOT_READY', 'no worker answers on this replica')
      const rows: Record<string, unknown>[] = []
      const heads: { repo?: string; commit: string | null }[] = []
      for (const { repo, reply: r } of answers) {
        const where = repo !== undefined ? `repo ${repo}: ` : ''
        // The thread is restarting: nothing to read from until it is back.
        if (r === null) throw new InfraSyncError('WORKER_NOT_READY', `${where}the worker is not running; ask again`)
        // The worker's own code: WORKER_NOT_READY, STORE_UNAVAILABLE and GIT_REMOTE are 503s (ask again), anything else a 500.
        if ('error' in r) throw new InfraSyncError(r.error.code, `${where}${r.error.message}`)
        heads.push({ ...(repo !== undefined && { repo }), commit: r.head })
        for (const x of r.rows) {
          const url = x.commit !== undefined ? deps.commitUrl?.(x.commit, repo) : undefined
          rows.push({ ...x, ...(url !== undefined && { commitUrl: url }), ...(repo !== undefined && { repo }) })
        }
      }
      if (service !== undefined && rows.length === 0) throw new NotFoundError(`no folder services/${service} in the infra repo`, { service }, 'SERVICE_NOT_FOUND')
      return { services: rows, heads }
    },
  )
}
