import t from 'tap'
import { buildApp, type AppDeps } from '../../src/http/app.js'
import { appDeps } from '../helpers/app-deps.js'

/**
 * POST /v1/webhooks/argocd: Argo CD notifications name an Application, and
 * the promotions waiting on it are looked at now. Off (404) without a token;
 * a wrong token is 401 and wakes nothing; the body is checked.
 */
type Test = Parameters<Parameters<typeof t.test>[1]>[0]
const TOKEN = 'argocd-webhook-token-0123456789abcdef'
const URL = '/v1/webhooks/argocd'

async function app(t: Test, over: Partial<AppDeps> = {}) {
  const woken: string[] = []
  const server = await buildApp(appDeps({ argocdWebhookToken: TOKEN, onArgoCd: (application) => woken.push(application), ...over }))
  t.teardown(() => server.close())
  return { server, woken }
}

const auth = { authorization: `Bearer ${TOKEN}` }

t.test('no token configured: 404 ARGOCD_WEBHOOK_NOT_CONFIGURED, whatever is sent', async (t) => {
  const { server, woken } = await app(t, { argocdWebhookToken: undefined })
  for (const headers of [{}, auth]) {
    const res = await server.inject({ method: 'POST', url: URL, headers, payload: { application: 'orders-api-dev' } })
    t.equal(res.statusCode, 404)
    t.equal(res.json().code, 'ARGOCD_WEBHOOK_NOT_CONFIGURED')
  }
  t.same(woken, [])
})

t.test('a missing or wrong bearer token: 401 ARGOCD_WEBHOOK_UNAUTHORIZED, and nothing is woken', async (t) => {
  const { server, woken } = await app(t)
  const cases: [string, Record<string, string>][] = [
    ['missing', {}],
    ['wrong token', { authorization: `Bearer ${TOKEN}x` }],
    ['a prefix of it', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['not bearer', { authorization: `Basic ${Buffer.from(`argocd:${TOKEN}`).toString('base64')}` }],
    ['the token alone', { authorization: TOKEN }],
  ]
  for (const [name, headers] of cases) {
    const res = await server.inject({ method: 'POST', url: URL, headers, payload: { application: 'orders-api-dev' } })
    t.equal(res.statusCode, 401, name)
    t.equal(res.json().code, 'ARGOCD_WEBHOOK_UNAUTHORIZED', name)
  }
  const bad = await server.inject({ method: 'POST', url: URL, headers: { authorization: 'Bearer nope' }, payload: { nothing: 1 } })
  t.equal(bad.statusCode, 401, 'the token is checked before the body')
  t.same(woken, [])
})

t.test('a bad body: 400 INVALID_INPUT, nothing woken', async (t) => {
  const { server, woken } = await app(t)
  const cases: [string, unknown][] = [
    ['no application', { revision: 'abc' }],
    ['an empty name', { application: '' }],
    ['upper case', { application: 'Orders-API' }],
    ['a slash', { application: 'argocd/orders-api-dev' }],
    ['a trailing hyphen', { application: 'orders-api-' }],
    ['too long', { application: 'a'.repeat(254) }],
    ['an object for the name', { application: { name: 'orders-api-dev' } }],
    ['not an object', ['orders-api-dev']],
  ]
  for (const [name, payload] of cases) {
    const res = await server.inject({ method: 'POST', url: URL, headers: auth, payload: payload as object })
    t.equal(res.statusCode, 400, name)
    t.equal(res.json().code, 'INVALID_INPUT', name)
  }
  t.same(woken, [])
})

t.test('a good call: 202 accepted, naming the application, and the promotions on it are looked at', async (t) => {
  const { server, woken } = await app(t)
  const res = await server.inject({ method: 'POST', url: URL, headers: auth, payload: { application: 'orders-api-dev' } })
  t.equal(res.statusCode, 202)
  t.same(res.json(), { status: 'accepted', application: 'orders-api-dev' })
  t.same(woken, ['orders-api-dev'])
})

t.test("the operator's template may send more fields", async (t) => {
  const { server, woken } = await app(t)
  const payload = { application: 'orders.prod-eu', revision: 'e'.repeat(40), health: 'Healthy', sync: 'Synced', project: 'default', annotations: { team: 'orders' } }
  const res = await server.inject({ method: 'POST', url: URL, headers: auth, payload })
  t.equal(res.statusCode, 202, res.body)
  t.same(res.json(), { status: 'accepted', application: 'orders.prod-eu' })
  t.same(woken, ['orders.prod-eu'])
})

t.test('without an onArgoCd listener a good call is still accepted', async (t) => {
  const { server } = await app(t, { onArgoCd: undefined })
  const res = await server.inject({ method: 'POST', url: URL, headers: auth, payload: { application: 'orders-api-dev' } })
  t.equal(res.statusCode, 202)
})
