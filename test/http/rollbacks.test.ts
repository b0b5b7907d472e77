import path from 'node:path'
import t from 'tap'
import { buildApp, type AppDeps } from '../../src/http/app.js'
import { GithubTrust } from '../../src/intake/github-trust.js'
import { MemoryRateLimiter } from '../../src/intake/rate-limit.js'
import { buildKeys } from '../../src/intake/secrets.js'
import { Metrics } from '../../src/observability/metrics.js'
import { RepoStores } from '../../src/store/repo-stores.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import type { Deployment } from '../../src/store/store.js'
import { sign } from '../../src/intake/standard-webhooks.js'
import { secretKey } from '../../src/intake/secrets.js'
import { SOURCE_HEADER } from '../../src/intake/source-name.js'
import { tmpDir } from '../helpers/tmp.js'

/** POST /v1/rollbacks and the pin routes: behind the admin token, bodies checked, a pin and an internal event stored, several repos alike. */
type Test = Parameters<Parameters<typeof t.test>[1]>[0]
const TOKEN = 'admin-token-0123456789abcdef'
const IMAGE = 'ghcr.io/acme/orders-api'
const sha = (c: string) => c.repeat(40)

const dep = (environment: string, from: string | undefined, tag: string, over: Partial<Deployment> = {}): Deployment => ({
  eventId: `e-${environment}-${tag}`, service: 'orders', environment, image: IMAGE, ...(from !== undefined && { from }), to: tag, tag,
  builtAt: `2026-11-25T0${tag.at(-1)}:00:00.000Z`, commit: sha('c'), appliedAt: '2026-11-25T10:00:00.000Z', source: 'acme/orders-api', sourceCommit: sha(tag.at(-1)!), buildUrl: `https://ci.example/${tag}`, ...over,
})

async function app(t: Test, repos: string[], over: Partial<AppDeps> = {}) {
  const woken: string[] = []
  const stores = new RepoStores(repos.map((name) => ({ name, store: SqliteStore.fromUrl(`sqlite:${path.join(tmpDir(t), 'x.db')}`, 'worker', repos.length > 1 ? name : undefined) })))
  await stores.init()
  t.teardown(() => stores.close())
  const server = await buildApp({
    store: stores,
    keys: () => buildKeys(new Map([['acme/orders-api', ['whsec_' + Buffer.from('k'.repeat(32)).toString('base64')]]]), []),
    clock: () => new Date(),
    metrics: new Metrics(false),
    limiter: new MemoryRateLimiter({ perSecond: 100, burst: 100 }, () => Date.now()),
    github: new GithubTrust([], new Map()),
    infraRepos: [],
    onAccepted: (id) => woken.push(id),
    readiness: async () => ({ ready: true, checks: {} }),
    adminToken: TOKEN,
    ...over,
  })
  t.teardown(() => server.close())
  return { server, stores, woken }
}

const auth = { authorization: `Bearer ${TOKEN}` }

t.test('a rollback goes back to the value before the current one, pins it, and queues one internal event', async (t) => {
  const { server, stores, woken } = await app(t, ['main'])
  const store = stores.repos[0]!.store
  await store.finish([], [dep('prod', '1.0.0', '1.0.1')], new Date())
  await store.finish([], [dep('prod', '1.0.1', '1.0.2'), dep('dev', '1.0.2', '1.0.3')], new Date())

  const res = await server.inject({ method: 'POST', url: '/v1/rollbacks', headers: auth, payload: { service: 'orders', environment: 'prod', force: true, requestId: 'req-00000001' } })
  t.equal(res.statusCode, 202, res.body)
  const body = res.json()
  t.match(body, { status: 'queued', from: '1.0.2', value: '1.0.1', pin: { service: 'orders', environment: 'prod', value: '1.0.1', kind: 'rollback' } })
  t.equal(res.headers.location, `/v1/events/${body.id}`)
  t.same(woken, [body.id], 'the worker is woken')
  const record = (await store.get(body.id))!
  t.same(record.event, {
    source: 'acme/orders-api', image: IMAGE, tag: '1.0.1', commit: sha('1'), builtAt: '2026-11-25T01:00:00.000Z', buildUrl: 'https://ci.example/1.0.1',
    rollback: { service: 'orders', environment: 'prod', request: 'req-00000001', force: true },
  }, "the build that first brought 1.0.1: its source commit and build time; force kept")
  t.match(await store.pins.list(), [{ service: 'orders', environment: 'prod', value: '1.0.1', kind: 'rollback' }])

  const again = await server.inject({ method: 'POST', url: '/v1/rollbacks', headers: auth, payload: { service: 'orders', environment: 'prod', force: true, requestId: 'req-00000001' } })
  t.equal(again.statusCode, 202)
  t.match(again.json(), { id: body.id, duplicate: 'delivery' }, 'a retried request is the same rollback')
  t.equal(woken.length, 1)

  const to = await server.inject({ method: 'POST', url: '/v1/rollbacks', headers: auth, payload: { service: 'orders', environment: 'prod', to: '1.0.0', reason: 'incident 42' } })
  t.equal(to.statusCode, 202)
  t.not(to.json().id, body.id, 'another request is another event')
  t.match(to.json(), { value: '1.0.0', pin: { value: '1.0.0', reason: 'incident 42' } })
  t.notOk('commit' in (await store.get(to.json().id))!.event, 'a value history never recorded (beyond its from) has no origin')
})

t.test('refusals: nothing to roll back, a malformed value or body, the admin token', async (t) => {
  const { server, stores } = await app(t, ['main'])
  await stores.repos[0]!.store.finish([], [dep('prod', undefined, '1.0.1')], new Date())
  const post = (payload: unknown, headers: Record<string, string> = auth) => server.inject({ method: 'POST', url: '/v1/rollbacks', headers, payload: payload as object })
  const code = async (payload: unknown, headers?: Record<string, string>) => {
    const res = await post(payload, headers)
    return [res.statusCode, res.json().code]
  }
  t.same(await code({ service: 'orders', environment: 'dev' }), [409, 'NOTHING_TO_ROLL_BACK'], 'never deployed there')
  t.same(await code({ service: 'orders', environment: 'prod' }), [409, 'NOTHING_TO_ROLL_BACK'], 'the first deployment had nothing before it')
  t.same(await code({ service: 'orders', environment: 'prod', to: 'bad tag!' }), [400, 'INVALID_VALUE'])
  t.same(await code({ service: 'orders', environment: 'prod', to: '1.0.0@sha256:nothex' }), [400, 'INVALID_VALUE'])
  t.same(await code({ service: '../x', environment: 'prod' }), [400, 'INVALID_INPUT'])
  t.same(await code({ service: 'orders', environment: 'prod', to: '1.0.0' }, { authorization: 'Bearer wrong-token-0123456789abcdef' }), [401, 'ADMIN_UNAUTHORIZED'])
  t.same(await code({ service: 'orders', environment: 'prod', to: '1.0.0' }, {}), [401, 'ADMIN_UNAUTHORIZED'])
  t.same(await stores.pins.list(), [], 'no refusal left a pin')
  t.same((await stores.repos[0]!.store.list('queued', 10)).length, 0, 'nor an event')
})

t.test('without a token, only loopback callers of the embedded default', async (t) => {
  const { server } = await app(t, ['main'], { adminToken: undefined, adminLoopback: false })
  const res = await server.inject({ method: 'POST', url: '/v1/rollbacks', payload: { service: 'orders', environment: 'prod' } })
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'ADMIN_TOKEN_REQUIRED')
  t.equal((await server.inject({ method: 'GET', url: '/v1/pins' })).json().code, 'ADMIN_TOKEN_REQUIRED')
})

t.test('the public intake drops a rollback mark: only the admin route makes one', async (t) => {
  const { server, stores } = await app(t, ['main'])
  const secret = 'whsec_' + Buffer.from('k'.repeat(32)).toString('base64')
  const body = Buffer.from(JSON.stringify({ source: 'acme/orders-api', image: IMAGE, tag: '0.0.1', ref: 'refs/heads/main', rollback: { service: 'orders', environment: 'prod', request: 'x' } }))
  const ts = Math.floor(Date.now() / 1000)
  const signature = sign(secretKey(secret), 'd-1', ts, body).toString('base64')
  const res = await server.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/json', 'webhook-id': 'd-1', 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${signature}`, [SOURCE_HEADER]: 'acme/orders-api' }, payload: body })
  t.equal(res.statusCode, 202, res.body)
  const record = (await stores.repos[0]!.store.get(res.json().id))!
  t.notOk('rollback' in record.event)
})

t.test('pins by hand: set with the deployed value by default, listed, replaced, removed; removal wakes the worker', async (t) => {
  const { server, stores, woken } = await app(t, ['main'])
  await stores.repos[0]!.store.finish([], [dep('prod', '1.0.0', '1.0.1')], new Date())
  const set = await server.inject({ method: 'POST', url: '/v1/pins', headers: auth, payload: { service: 'orders', environment: 'prod', reason: 'freeze' } })
  t.equal(set.statusCode, 200, set.body)
  t.match(set.json(), { service: 'orders', environment: 'prod', value: '1.0.1', kind: 'manual', reason: 'freeze' })
  const other = await server.inject({ method: 'POST', url: '/v1/pins', headers: auth, payload: { service: 'billing', environment: 'dev' } })
  t.equal(other.statusCode, 200)
  t.notOk('value' in other.json(), 'nothing deployed: the pin holds whatever is there')
  t.same((await server.inject({ url: '/v1/pins', headers: auth })).json().pins.map((p: { service: string }) => p.service), ['billing', 'orders'])
  t.equal((await server.inject({ method: 'POST', url: '/v1/pins', headers: auth, payload: { service: 'orders', environment: 'prod', value: 'no good' } })).json().code, 'INVALID_VALUE')

  const del = await server.inject({ method: 'DELETE', url: '/v1/pins/orders/prod', headers: auth })
  t.equal(del.statusCode, 200)
  t.match(del.json(), { removed: { service: 'orders', value: '1.0.1' } })
  t.equal(woken.length, 1)
  const gone = await server.inject({ method: 'DELETE', url: '/v1/pins/orders/prod', headers: auth })
  t.same([gone.statusCode, gone.json().code], [404, 'PIN_NOT_FOUND'])
  t.same([(await server.inject({ method: 'DELETE', url: '/v1/pins/orders/prod' })).statusCode], [401], 'the token first')
  t.same((await server.inject({ method: 'DELETE', url: '/v1/pins/a%20b/prod', headers: auth })).json().code, 'INVALID_INPUT')
})

t.test('several repos: the pin is set in each, listed naming its repo; the rollback event is stored in each under one id', async (t) => {
  const { server, stores } = await app(t, ['team-a', 'team-b'])
  await stores.repos[1]!.store.finish([], [dep('prod', '1.0.0', '1.0.1')], new Date())
  const res = await server.inject({ method: 'POST', url: '/v1/rollbacks', headers: auth, payload: { service: 'orders', environment: 'prod' } })
  t.equal(res.statusCode, 202, res.body)
  const id = res.json().id
  for (const r of stores.repos) t.ok(await r.store.get(id), `in ${r.name}`)
  t.same((await server.inject({ url: '/v1/pins', headers: auth })).json().pins.map((p: { repo: string; value: string }) => `${p.repo}:${p.value}`), ['team-a:1.0.0', 'team-b:1.0.0'])
  t.equal((await server.inject({ method: 'DELETE', url: '/v1/pins/orders/prod', headers: auth })).statusCode, 200)
  t.same(await stores.pins.list(), [])
})
