import { randomBytes } from 'node:crypto'
import type http from 'node:http'
import { badCredentials, invalidRequest, message, notFound, type ApiAnswer, type Handler } from './answers.js'
import type { Actor } from './auth.js'
import { handleGraphQL } from './graphql-handler.js'
import type { Hub } from './hub.js'
import { primaryHeaders, SECONDARY_RATE_LIMIT_BODY, type SecondaryRateLimit } from './rate-limit.js'
import { pullRoutes } from './rest-pulls.js'
import { repoRoutes } from './rest-repos.js'
import type { FakeGitHubTestHooks, FakeRequest } from './types.js'

/**
 * One API request through GitHub's order of checks: credentials (401), the secondary rate limit (403 +
 * retry-after), the route, the request against the description (a violation, and 404/422 as GitHub answers),
 * the handler, and its answer against the description (a violation) before it is sent.
 */
const ROUTES: Record<string, Handler> = { ...pullRoutes, ...repoRoutes }
/** Only a GitHub App's JWT may call these; it may call nothing else. */
const JWT_OPERATIONS = new Set(['apps/get-repo-installation', 'apps/create-installation-access-token'])

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

const loginOf = (actor: Actor, fallback: string): string => (actor.kind === 'pat' || actor.kind === 'installation' ? actor.login : fallback)

export interface ApiContext {
  hub: Hub
  limiter: SecondaryRateLimit
  hooks: () => FakeGitHubTestHooks
  /** Who an unauthenticated fake (no token, no App) acts as. */
  defaultLogin: string
}

export async function serveApi(ctx: ApiContext, req: http.IncomingMessage, res: http.ServerResponse, apiPath: string, query: URLSearchParams): Promise<void> {
  const { hub } = ctx
  const method = req.method ?? 'GET'
  const record: FakeRequest = { method, path: apiPath, status: 0, ...(query.size > 0 && { query: query.toString() }) }
  hub.requests.push(record)
  const send = (a: ApiAnswer) => {
    record.status = a.status
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
      ...primaryHeaders(hub.requests.length, Date.now()),
      ...a.headers,
    }
    res.writeHead(a.status, headers).end(a.body === undefined ? '' : JSON.stringify(a.body))
  }

  const text = await readBody(req)
  const actor = hub.auth.api(req.headers.authorization)
  const op = apiPath === '/graphql' ? undefined : hub.validator.match(method, apiPath)
  if (op) record.operation = op.id
  else if (apiPath === '/graphql') record.operation = 'graphql'
  if (!actor) return send(badCredentials())
  if (!ctx.limiter.admit()) return send({ status: 403, body: SECONDARY_RATE_LIMIT_BODY, headers: { 'retry-after': '1' } })

  let body: unknown
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text)
    } catch {
      if (op || apiPath === '/graphql') hub.violations.push(`${op?.id ?? 'graphql'}: the body is not JSON`)
      return send(message(400, 'Problems parsing JSON'))
    }
  }
  const login = loginOf(actor, ctx.defaultLogin)

  if (apiPath === '/graphql' && method === 'POST') {
    if (actor.kind === 'jwt') return send(badCredentials())
    try {
      const a = await handleGraphQL(hub, body, login)
      return send({ status: a.status, body: ctx.hooks().mutateResponse?.('graphql', a.status, a.body) ?? a.body })
    } catch (err) {
      hub.violations.push(`graphql: the fake failed: ${err instanceof Error ? err.message : String(err)}`)
      return send(message(500, 'Server Error'))
    }
  }
  if (!op || !ROUTES[op.id]) {
    hub.violations.push(`${method} ${apiPath}: no such operation in the OpenAPI subset (test/fixtures/github/openapi.json)`)
    return send(notFound())
  }
  if (JWT_OPERATIONS.has(op.id) !== (actor.kind === 'jwt') && actor.kind !== 'anonymous') {
    return send(message(401, JWT_OPERATIONS.has(op.id) ? 'A JSON web token could not be decoded' : 'Bad credentials'))
  }

  const queryObject = Object.fromEntries(query.entries())
  const checked = hub.validator.checkRequest(op, { query: queryObject, body, hasBody: text.trim() !== '' })
  if (checked.errors.length) {
    hub.violations.push(...checked.errors)
    // GitHub answers 404 when a path parameter cannot name anything, 422 when the schema check fails.
    return send(checked.kind === 'path' ? notFound() : invalidRequest(checked.errors.join('\n')))
  }

  let answer: ApiAnswer
  try {
    answer = await ROUTES[op.id]!({ hub, op, query: queryObject, body, actor, login })
  } catch (err) {
    hub.violations.push(`${op.id}: the fake failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    return send(message(500, 'Server Error'))
  }
  const mutate = ctx.hooks().mutateResponse
  if (mutate) answer = { ...answer, body: mutate(op.id, answer.status, answer.body) ?? answer.body }
  hub.violations.push(...hub.validator.checkResponse(op, answer.status, answer.body))
  send(answer)
}
