import type { FastifyInstance, FastifyRequest } from 'fastify'
import { normaliseSource } from '../../core/build-event.js'
import { ForbiddenSourceError, NotFoundError, ValidationError } from '../../core/errors.js'
import { githubDecision, type InfraRepoRef } from '../../intake/github.js'
import type { GithubClaim, GithubTrust } from '../../intake/github-trust.js'
import { parseJsonBody } from '../../intake/parse-json.js'
import { namedSource } from '../../intake/source-name.js'
import { acceptEvent, type AcceptDeps } from '../accept-event.js'
import { errorBodySchema } from '../error-handler.js'
import { rawJsonBody } from '../raw-json-body.js'
import { EVENT_BODY_LIMIT } from './events.js'

export interface GithubRoutesDeps extends AcceptDeps {
  readonly github: GithubTrust
  /** The infra repos served, each with what its hooks wake. */
  readonly infraRepos: readonly InfraRepoHooks[]
}

export interface InfraRepoHooks {
  readonly ref: InfraRepoRef
  /** A push to the infra repo's branch: fetch it now rather than at the next poll. */
  readonly onPush: () => void
  /** One of infra-sync's pull requests was merged or closed: settle it now rather than at the next poll. */
  readonly onPullRequest: (number: number) => void
}

type Decision = ReturnType<typeof githubDecision>

/** The decision about a delivery, and the infra repo it is about when it is a push or a pull request of one of them. */
function decide(name: string, delivery: string, payload: unknown, repos: readonly InfraRepoHooks[]): { decision: Decision; repo: InfraRepoHooks } {
  const first = { decision: githubDecision(name, delivery, payload, repos[0]!.ref), repo: repos[0]! }
  if (first.decision.kind === 'refresh' || first.decision.kind === 'pull-request') return first
  for (const repo of repos.slice(1)) {
    const decision = githubDecision(name, delivery, payload, repo.ref)
    if (decision.kind === 'refresh' || decision.kind === 'pull-request') return { decision, repo }
  }
  return first
}

const DELIVERY = /^[0-9A-Za-z-]{1,100}$/

function one(v: string | string[] | undefined): string {
  return (Array.isArray(v) ? v[0] : v) ?? ''
}

/** `repository.full_name` of a payload, when it has one. */
function repositoryOf(payload: unknown): string | undefined {
  const repo = typeof payload === 'object' && payload !== null ? (payload as { repository?: { full_name?: unknown } }).repository : undefined
  return typeof repo?.full_name === 'string' ? normaliseSource(repo.full_name) : undefined
}

export async function githubRoutes(app: FastifyInstance, deps: GithubRoutesDeps): Promise<void> {
  // GitHub's own limit for webhook payloads is 25 MB; builds are small, and the generic limit keeps memory bounded.
  rawJsonBody(app, EVENT_BODY_LIMIT)
  const claims = new WeakMap<FastifyRequest, GithubClaim>()
  function refused(e: unknown): never {
    deps.metrics.eventsReceived.inc({ result: 'refused' })
    throw e
  }

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
      // Before the body is read: which hook's secrets may verify this delivery, from its headers and URL.
      onRequest: async (req, reply) => {
        // A refusal here never reads the body: close the connection rather than drain it.
        reply.header('connection', 'close')
        if (!deps.github.configured) throw new NotFoundError('GitHub webhooks are not configured (set INFRA_SYNC_GITHUB_SECRET or a source\'s githubSecret)', {}, 'GITHUB_NOT_CONFIGURED')
        try {
          const claim = deps.github.claim(req.headers['x-hub-signature-256'], namedSource(req.headers, req.query))
          if (!one(req.headers['x-github-event']) || !DELIVERY.test(one(req.headers['x-github-delivery']))) {
            throw new ValidationError('X-GitHub-Event and X-GitHub-Delivery are required', {}, 'INVALID_INPUT')
          }
          claims.set(req, claim)
          reply.removeHeader('connection')
        } catch (e) {
          refused(e)
        }
      },
    },
    async (req, reply) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
      const claim = claims.get(req)!
      const name = one(req.headers['x-github-event'])
      const delivery = one(req.headers['x-github-delivery'])
      let decision
      let infra = deps.infraRepos[0]!
      try {
        await deps.github.verify(raw, claim)
        const payload = parseJsonBody(raw)
        // A hook named for a source speaks only for that repository, whatever the event.
        const repository = repositoryOf(payload)
        if (claim.named && repository !== undefined && repository !== claim.named) {
          throw new ForbiddenSourceError(`this hook is ${claim.named}'s, but the delivery is about ${repository}`, { named: claim.named, source: repository })
        }
        ;({ decision, repo: infra } = decide(name, delivery, payload, deps.infraRepos))
      } catch (e) {
        refused(e)
      }
      if (decision.kind === 'events' && !deps.github.speaksFor(claim, decision.events[0]!.event.source)) {
        const source = decision.events[0]!.event.source
        decision = { kind: 'ignored', reason: `${source} is not a configured source` } as const
      }
      if (decision.kind === 'pull-request' && claim.by === 'source') {
        // A source repository's own hook speaks for its builds, never for the infra repo's pull requests.
        decision = { kind: 'ignored', reason: `the hook of ${claim.named} does not speak for the infra repository's pull requests` } as const
      }
      if (decision.kind === 'ignored') {
        req.log.info({ github: name, delivery, reason: decision.reason }, 'GitHub webhook ignored')
        return reply.status(200).send({ status: 'ignored', reason: decision.reason })
      }
      if (decision.kind === 'refresh') {
        infra.onPush()
        return reply.status(200).send({ status: 'refreshing', reason: decision.reason })
      }
      if (decision.kind === 'pull-request') {
        req.log.info({ github: name, delivery, pullRequest: decision.number }, decision.reason)
        infra.onPullRequest(decision.number)
        return reply.status(200).send({ status: 'settling', reason: decision.reason })
      }
      const results = []
      for (const { deliveryId, event } of decision.events) results.push(await acceptEvent(deps, req, `github:${deliveryId}`, event))
      const ids = results.map((r) => r.id)
      if (results.every((r) => r.duplicate)) return reply.status(200).send({ status: 'duplicate', ids })
      return reply.status(202).send({ status: 'queued', ids })
    },
  )
}
