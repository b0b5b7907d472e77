import path from 'node:path'
import t from 'tap'
import { buildApp, type AppDeps } from '../../src/http/app.js'
import { RepoStores } from '../../src/store/repo-stores.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import type { Deployment } from '../../src/store/store.js'
import { appDeps } from '../helpers/app-deps.js'
import { tmpDir } from '../helpers/tmp.js'

/** GET /v1/deployments: history behind the admin token, its query checked, several repos merged newest first. */
type Test = Parameters<Parameters<typeof t.test>[1]>[0]
const TOKEN = 'admin-token-0123456789abcdef'
const sha = (c: string) => c.repeat(40)

const dep = (environment: string, tag: string, appliedAt: string, over: Partial<Deployment> = {}): Deployment => ({
  eventId: `e-${environment}-${tag}`, service: 'orders', environment, image: 'ghcr.io/acme/orders-api', from: '1.0.0', to: tag, tag,
  builtAt: '2026-11-25T09:00:00.000Z', commit: sha('c'), appliedAt, source: 'acme/orders-api', sourceCommit: sha('5'), buildUrl: `https://ci.example/${tag}`, ...over,
})

async function app(t: Test, repos: string[], over: Partial<AppDeps> = {}) {
  const stores = new RepoStores(repos.map((name) => ({ name, store: SqliteStore.fromUrl(`sqlite:${path.join(tmpDir(t), 'x.db')}`, 'worker', repos.length > 1 ? name : undefined) })))
  await stores.init()
  t.teardown(() => stores.close())
  const server = await buildApp(appDeps({
    store: stores,
    adminToken: TOKEN,
    commitUrl: (c, repo) => `https://github.com/acme/${repo ?? 'infra'}/commit/${c}`,
    ...over,
  }))
  t.teardown(() => server.close())
  return { server, stores }
}

const auth = { authorization: `Bearer ${TOKEN}` }

t.test('rows newest first with their origin, filtered and paged', async (t) => {
  const { server, stores } = await app(t, ['main'])
  const store = stores.repos[0]!.store
  await store.finish([], [dep('dev', '1.1.0', '2026-11-25T10:00:00.000Z'), dep('prod', '1.1.0', '2026-11-25T11:00:00.000Z', { pullRequest: { number: 4, url: 'https://github.com/acme/infra/pull/4' }, mergedBy: 'octocat', commit: sha('m') })], new Date())
  await store.finish([], [dep('dev', '1.2.0', '2026-11-25T12:00:00.000Z'), { ...dep('dev', '9.0.0', '2026-11-25T12:00:00.000Z'), service: 'billing' }], new Date())

  const res = await server.inject({ url: '/v1/deployments?service=orders', headers: auth })
  t.equal(res.statusCode, 200)
  const rows = res.json().deployments as Record<string, unknown>[]
  t.same(rows.map((r) => `${r.environment}/${r.to}`), ['dev/1.2.0', 'prod/1.1.0', 'dev/1.1.0'])
  t.match(rows[1], {
    eventId: 'e-prod-1.1.0', from: '1.0.0', commit: sha('m'), commitUrl: `https://github.com/acme/infra/commit/${sha('m')}`, source: 'acme/orders-api', sourceCommit: sha('5'),
    buildUrl: 'https://ci.example/1.1.0', pullRequest: { number: 4 }, mergedBy: 'octocat', kind: 'deploy', seq: Number,
  })
  t.equal(rows[0]!.repo, undefined, 'one repo: rows name none')

  const dev = (await server.inject({ url: '/v1/deployments?service=orders&environment=dev&limit=1', headers: auth })).json().deployments
  t.same(dev.map((r: { to: string }) => r.to), ['1.2.0'])
  const next = (await server.inject({ url: `/v1/deployments?service=orders&environment=dev&limit=1&before=${dev[0].seq}`, headers: auth })).json().deployments
  t.same(next.map((r: { to: string }) => r.to), ['1.1.0'], 'the next page')
  t.same((await server.inject({ url: '/v1/deployments?service=nobody', headers: auth })).json(), { deployments: [] })
  t.equal((await server.inject({ url: '/v1/deployments', headers: auth })).json().deployments.length, 4, 'no filter: every service')
})

t.test('several repos: merged newest first by appliedAt, each row naming its repo', async (t) => {
  const { server, stores } = await app(t, ['team-a', 'team-b'])
  await stores.repos[0]!.store.finish([], [dep('dev', '1.1.0', '2026-11-25T10:00:00.000Z'), dep('dev', '1.3.0', '2026-11-25T12:00:00Z')], new Date())
  await stores.repos[1]!.store.finish([], [dep('prod', '1.2.0', '2026-11-25T11:00:00.000Z')], new Date())
  const rows = (await server.inject({ url: '/v1/deployments?service=orders', headers: auth })).json().deployments
  t.same(rows.map((r: { repo: string; to: string }) => `${r.repo}:${r.to}`), ['team-a:1.3.0', 'team-b:1.2.0', 'team-a:1.1.0'])
  t.equal(rows[1].commitUrl, `https://github.com/acme/team-b/commit/${sha('c')}`, "the commit's page on its own repo")
  t.equal((await server.inject({ url: '/v1/deployments?limit=2', headers: auth })).json().deployments.length, 2, 'the limit holds across repos')
})

t.test('the admin token is required, and checked before the query', async (t) => {
  const { server } = await app(t, ['main'])
  for (const [headers, code] of [[{}, 'ADMIN_UNAUTHORIZED'], [{ authorization: 'Bearer wrong' }, 'ADMIN_UNAUTHORIZED'], [{ authorization: TOKEN }, 'ADMIN_UNAUTHORIZED']] as const) {
    const res = await server.inject({ url: '/v1/deployments?limit=0', headers })
    t.equal(res.statusCode, 401)
    t.equal(res.json().code, code)
  }
  const { server: open } = await app(t, ['main'], { adminToken: undefined, adminLoopback: true })
  t.equal((await open.inject({ url: '/v1/deployments' })).statusCode, 200, 'no token configured: this machine may read it on the embedded default')
  const far = await open.inject({ url: '/v1/deployments', remoteAddress: '10.1.2.3' })
  t.equal(far.statusCode, 403)
  t.equal(far.json().code, 'ADMIN_TOKEN_REQUIRED')
  const { server: closed } = await app(t, ['main'], { adminToken: undefined })
  t.equal((await closed.inject({ url: '/v1/deployments' })).json().code, 'ADMIN_TOKEN_REQUIRED', 'no token and no loopback allowance: refused')
})

t.test('bad queries are 400 INVALID_INPUT', async (t) => {
  const { server } = await app(t, ['main'])
  for (const q of ['limit=0', 'limit=1001', 'limit=ten', 'before=0', 'before=-3', 'before=x', 'service=', 'service=a%20b', 'environment=..%2Fx']) {
    const res = await server.inject({ url: `/v1/deployments?${q}`, headers: auth })
    t.equal(res.statusCode, 400, q)
    t.equal(res.json().code, 'INVALID_INPUT', q)
  }
})
