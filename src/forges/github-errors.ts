import { GraphqlResponseError } from '@octokit/graphql'
import { RequestError } from '@octokit/request-error'
import { ForgeError, isInfraSyncError, type InfraSyncError } from '../core/errors.js'

// GitHub never echoes a token, but a message is copied into logs and API answers: cut anything token-shaped.
const TOKEN_SHAPES = /\b(?:gh[pousr]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{20,}|v1\.[0-9a-f]{40}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)/g

export function redactTokens(text: string): string {
  return text.replace(TOKEN_SHAPES, '[redacted]')
}

function githubMessage(data: unknown): string | undefined {
  const message = typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : undefined
  return typeof message === 'string' && message !== '' ? redactTokens(message).slice(0, 300) : undefined
}

/** Seconds GitHub asked us to wait, when its answer says it is a rate limit (by its headers, not its text). */
export function rateLimitWait(headers: Record<string, string | number | undefined> | undefined, nowMs = Date.now()): number | undefined {
  if (!headers) return undefined
  const retryAfter = Number(headers['retry-after'])
  if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter)) return Math.max(0, retryAfter)
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset'])
    return Number.isFinite(reset) ? Math.max(0, Math.ceil(reset - nowMs / 1000)) : 60
  }
  return undefined
}

const RATE_LIMITED = Symbol('infra-sync.rateLimited')

/** The throttle gave up waiting on this answer: a rate limit, whatever its headers say (a secondary limit may send none). */
export function markRateLimited(e: unknown, retryAfterSeconds: number): void {
  if (typeof e === 'object' && e !== null) Object.defineProperty(e, RATE_LIMITED, { value: retryAfterSeconds })
}

function fromRequestError(operation: string, e: RequestError): ForgeError {
  const status = e.status
  const said = githubMessage(e.response?.data)
  const message = `GitHub ${operation}: HTTP ${status}${said ? ` (${said})` : ''}`
  const data = { status, operation }
  if (status === 401) return new ForgeError('FORGE_AUTH', message, data, { cause: e })
  if (status === 403 || status === 429) {
    const marked = (e as { [RATE_LIMITED]?: number })[RATE_LIMITED]
    const wait = marked ?? rateLimitWait(e.response?.headers as Record<string, string> | undefined)
    if (wait !== undefined || status === 429) {
      return new ForgeError('FORGE_UNAVAILABLE', `GitHub ${operation}: rate limited`, { ...data, retryAfterSeconds: wait ?? 60 }, { cause: e })
    }
    return new ForgeError('FORGE_AUTH', message, data, { cause: e })
  }
  if (status === 404) return new ForgeError('FORGE_NOT_FOUND', message, data, { cause: e })
  // octokit reports a network failure (no answer at all) as status 500.
  if (status >= 500) return new ForgeError('FORGE_UNAVAILABLE', `GitHub ${operation}: ${status === 500 && !e.response ? 'no answer' : `HTTP ${status}`}`, data, { cause: e })
  return new ForgeError('FORGE_REFUSED', message, data, { cause: e })
}

/** The `type` of each GraphQL error GitHub returned (UNPROCESSABLE, FORBIDDEN, NOT_FOUND, RATE_LIMITED, …). */
export function graphqlErrorTypes(e: unknown): string[] {
  if (!(e instanceof GraphqlResponseError)) return []
  return (e.errors ?? []).map((x) => String((x as { type?: unknown }).type ?? ''))
}

function fromGraphqlError(operation: string, e: GraphqlResponseError<unknown>): ForgeError {
  const types = graphqlErrorTypes(e)
  const data = { status: 200, operation, types }
  const message = `GitHub ${operation}: GraphQL ${types.join(', ') || 'error'}`
  if (types.includes('RATE_LIMITED')) return new ForgeError('FORGE_UNAVAILABLE', message, data, { cause: e })
  if (types.includes('FORBIDDEN')) return new ForgeError('FORGE_AUTH', message, data, { cause: e })
  if (types.includes('NOT_FOUND')) return new ForgeError('FORGE_NOT_FOUND', message, data, { cause: e })
  return new ForgeError('FORGE_REFUSED', message, data, { cause: e })
}

/** Any failure of a GitHub call as the InfraSyncError the Forge contract promises, decided by status and type. */
export function toForgeError(operation: string, e: unknown): InfraSyncError {
  if (isInfraSyncError(e)) return e
  if (e instanceof RequestError) return fromRequestError(operation, e)
  if (e instanceof GraphqlResponseError) return fromGraphqlError(operation, e)
  const name = e instanceof Error ? e.name : typeof e
  // A deadline passed (octokit passes aborts through as they are): GitHub did not answer in time.
  if (name === 'AbortError' || name === 'TimeoutError') return new ForgeError('FORGE_UNAVAILABLE', `GitHub ${operation}: no answer in time`, { operation }, { cause: e })
  // The client refused before sending (a bad argument): sending it again would not help.
  return new ForgeError('FORGE_REFUSED', `GitHub ${operation}: the client failed (${name})`, { operation, reason: 'client' }, { retryable: false, cause: e })
}

/** Whether the error is GitHub's answer with this HTTP status. */
export function hasStatus(e: unknown, ...statuses: number[]): boolean {
  return e instanceof RequestError && statuses.includes(e.status)
}
