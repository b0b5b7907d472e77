import { GraphqlResponseError } from '@octokit/graphql'
import { RequestError } from '@octokit/request-error'
import t from 'tap'
import { ConfigError } from '../../src/core/errors.js'
import { redactTokens, toForgeError } from '../../src/forges/github-errors.js'

const TOKEN = 'ghs_installationToken0123456789abcdefgh'

function answered(status: number, headers: Record<string, string> = {}, data: unknown = { message: 'm' }) {
  return new RequestError(`HTTP ${status}`, status, {
    request: { method: 'GET', url: 'https://api.github.com/repos/acme/infra/pulls/1', headers: { authorization: `token ${TOKEN}` } },
    response: { status, url: 'https://api.github.com/repos/acme/infra/pulls/1', headers, data },
  })
}

t.test('HTTP answers map to codes by status (and rate-limit headers), never by text', async (t) => {
  const cases: [RequestError, string, boolean][] = [
    [answered(401), 'FORGE_AUTH', false],
    [answered(403, {}, { message: 'You have exceeded a secondary rate limit' }), 'FORGE_AUTH', false],
    [answered(403, { 'retry-after': '30' }, { message: 'anything' }), 'FORGE_UNAVAILABLE', true],
    [answered(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60) }), 'FORGE_UNAVAILABLE', true],
    [answered(429), 'FORGE_UNAVAILABLE', true],
    [answered(404), 'FORGE_NOT_FOUND', false],
    [answered(405), 'FORGE_REFUSED', false],
    [answered(409), 'FORGE_REFUSED', false],
    [answered(422, {}, { message: 'Validation Failed', errors: [{ code: 'custom' }] }), 'FORGE_REFUSED', false],
    [answered(502), 'FORGE_UNAVAILABLE', true],
    [new RequestError('socket hang up', 500, { request: { method: 'GET', url: 'https://api.github.com/x', headers: {} } }), 'FORGE_UNAVAILABLE', true],
  ]
  for (const [e, code, retryable] of cases) {
    const mapped = toForgeError('get pull request', e)
    t.match(mapped, { code, retryable, data: { status: e.status, operation: 'get pull request' } }, `${e.status} ${JSON.stringify(e.response?.headers ?? {})}`)
    t.notOk(mapped.message.includes(TOKEN))
  }
})

t.test('GraphQL errors map by their type', async (t) => {
  const graphqlError = (type: string) =>
    new GraphqlResponseError({ method: 'POST', url: '/graphql' }, { 'content-type': 'application/json' }, { data: {}, errors: [{ type, message: 'x', path: ['p'], locations: [], extensions: {} }] } as never)
  t.match(toForgeError('enable auto-merge', graphqlError('FORBIDDEN')), { code: 'FORGE_AUTH' })
  t.match(toForgeError('enable auto-merge', graphqlError('NOT_FOUND')), { code: 'FORGE_NOT_FOUND' })
  t.match(toForgeError('enable auto-merge', graphqlError('RATE_LIMITED')), { code: 'FORGE_UNAVAILABLE', retryable: true })
  t.match(toForgeError('enable auto-merge', graphqlError('UNPROCESSABLE')), { code: 'FORGE_REFUSED', retryable: false })
})

t.test('our own errors pass through; a deadline is unavailable; a client failure is not retried', async (t) => {
  const config = new ConfigError('x')
  t.equal(toForgeError('op', config), config)
  t.match(toForgeError('op', new DOMException('late', 'TimeoutError')), { code: 'FORGE_UNAVAILABLE', retryable: true })
  t.match(toForgeError('op', new Error('bad argument')), { code: 'FORGE_REFUSED', retryable: false })
})

t.test('token-shaped text is cut from what GitHub says', async (t) => {
  t.equal(redactTokens(`bad ${TOKEN} and github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz`), 'bad [redacted] and [redacted]')
  t.equal(redactTokens('Validation Failed'), 'Validation Failed')
})
