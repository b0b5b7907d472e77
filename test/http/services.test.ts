import t, { type Test } from 'tap'
import { buildApp, type AppDeps } from '../../src/http/app.js'
import { appDeps } from '../helpers/app-deps.js'
import { commits, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { freshDatabase } from '../helpers/postgres.js'
import { exampleInfraFiles, startTestServer, type TestServer } from '../helpers/server.js'
import { FALLBACK, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * GET /v1/services: what runs where, read by the worker thread at its head
 * and joined with the deployment history, behind the admin token.
 */
const TOKEN = 'services-admin-token-0123456789abcdef'
const auth = { authorization: `Bearer ${TOKEN}` }
type Row = Record<string, unknown> & { service: string; environment?: string }

function infraFiles(): Record<string, string> {
  return {
    ...exampleInfraFiles(),
    // web-frontend's prod is held by a person; "broken" has an infra-sync.yaml the server refuses.
    'services/web-frontend/infra-sync.yaml': 'source: acme/web\nimage: ghcr.io/acme/web-frontend\npolicy: semver:^2.0.0\nenvironments:\n  dev: { path: overlays/dev, update: commit }\n  prod: { path: overlays/prod, update: commit, pin: "2.2.4" }\n',
    'services/broken/infra-sync.yaml': 'source: acme/broken\n',
    'services/broken/overlays/dev/kustomization.yaml': 'resources: []\n',
  }
}

t.test('after a deploy: each environment with its value, since when and by which commit; pins, mode, refusals', async (t) => {
  const bare = makeBareRepo(tmpDir(t), infraFiles())
  const server = await startTestServer(t, { location: bare, kind: 'local' }, { adminToken: TOKEN })
  const payload = JSON.stringify({ source: 'acme/web', image: 'ghcr.io/acme/web-frontend', tag: '2.4.0', ref: 'refs/heads/main', commit: '5'.repeat(40) })
  const sent = await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(FALLBACK, payload), payload })
  t.equal(sent.statusCode, 202, sent.body)
  const applied = await eventually(async () => {
    const r = await server.store.get(sent.json().id)
    return r && r.status !== 'queued' ? r : undefined
  })
  t.equal(applied.status, 'applied', JSON.stringify(applied.targets))
  const [head] = commits(bare)

  const res = await server.app.inject({ url: '/v1/services', headers: auth })
  t.equal(res.statusCode, 200, res.body)
  const body = res.json() as { services: Row[]; heads: { commit: string | null }[] }
  t.same(body.heads, [{ commit: head!.sha }], 'read at the head the worker made')
  const row = (service: string, environment?: string) => body.services.find((r) => r.service === service && r.environment === environment)
  t.match(row('web-frontend', 'dev'), {
    image: 'ghcr.io/acme/web-frontend', value: '2.4.0', tag: '2.4.0', file: 'services/web-frontend/overlays/dev/kustomization.yaml',
    recorded: true, since: String, commit: head!.sha, kind: 'deploy', sourceCommit: '5'.repeat(40), update: 'commit', policy: 'semver:^2.0.0',
  })
  const [deployed] = (await server.app.inject({ url: '/v1/deployments?service=web-frontend&environment=dev&limit=1', headers: auth })).json().deployments
  t.equal(row('web-frontend', 'dev')!.since, deployed.appliedAt, "since: the history's deployment of that value")
  t.match(row('orders-api', 'prod'), { value: '1.4.1', recorded: false, update: 'pull-request', policy: 'semver:>=1.0.0' })
  t.equal(row('orders-api', 'prod')!.since, undefined, 'the template set prod: no since from history')
  t.match(row('web-frontend', 'prod'), { value: '2.2.4', recorded: false, pin: { by: 'config', value: '2.2.4' } })
  t.equal(row('web-frontend', 'dev')!.pin, undefined)
  t.match(row('payments-worker', 'staging'), { value: 'main-5b1e9f0', update: 'commit' }, 'environments from overlays/*')
  t.match(row('broken'), { recorded: false, error: { code: String } })
  t.equal(row('broken')!.environment, undefined, 'a refused service is one row with its code')

  const one = (await server.app.inject({ url: '/v1/services?service=orders-api', headers: auth })).json() as { services: Row[] }
  t.same(one.services.map((r) => r.environment), ['dev', 'prod'], 'only the service asked for')
  const nobody = await server.app.inject({ url: '/v1/services?service=nobody', headers: auth })
  t.equal(nobody.statusCode, 404)
  t.equal(nobody.json().code, 'SERVICE_NOT_FOUND')
  t.equal((await server.app.inject({ url: '/v1/services?service=../x', headers: auth })).json().code, 'INVALID_INPUT')

  t.test('the admin token is checked first', async (t) => {
    const none = await server.app.inject({ url: '/v1/services?service=nobody' })
    t.equal(none.statusCode, 401)
    t.equal(none.json().code, 'ADMIN_UNAUTHORIZED')
    const wrong = await server.app.inject({ url: '/v1/services', headers: { authorization: 'Bearer not-the-token-0123456789' } })
    t.equal(wrong.statusCode, 401)
    t.equal(wrong.json().code, 'ADMIN_UNAUTHORIZED')
  })
})

async function app(t: Test, over: Partial<AppDeps>) {
  const server = await buildApp(appDeps({ adminToken: TOKEN, ...over }))
  t.teardown(() => server.close())
  return server
}

t.test('a worker with no head to read from (a standby that never led) or no thread: 503 WORKER_NOT_READY', async (t) => {
  const standby = await app(t, { services: async () => [{ reply: { error: { code: 'WORKER_NOT_READY', message: 'no head' } } }] })
  const res = await standby.inject({ url: '/v1/services', headers: auth })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'WORKER_NOT_READY')
  t.ok(res.headers['retry-after'], 'worth asking again')
  const restarting = await app(t, { services: async () => [{ reply: null }] })
  t.equal((await restarting.inject({ url: '/v1/services', headers: auth })).json().code, 'WORKER_NOT_READY')
  const none = await app(t, {})
  t.equal((await none.inject({ url: '/v1/services', headers: auth })).statusCode, 503)
})

t.test('several repos: every repo asked, each row and head naming its repo, commits linked to their own repo', async (t) => {
  const rowOf = (tag: string) => ({ service: 'orders', environment: 'dev', value: tag, tag, recorded: true, commit: 'c'.repeat(40), update: 'commit' as const, policy: 'semver' })
  const server = await app(t, {
    services: async () => [{ repo: 'team-a', reply: { head: 'a'.repeat(40), rows: [rowOf('1.0.0')] } }, { repo: 'team-b', reply: { head: null, rows: [rowOf('2.0.0')] } }],
    commitUrl: (c, repo) => `https://github.com/acme/${repo ?? 'infra'}/commit/${c}`,
  })
  const body = (await server.inject({ url: '/v1/services', headers: auth })).json()
  t.same(body.heads, [{ repo: 'team-a', commit: 'a'.repeat(40) }, { repo: 'team-b', commit: null }])
  t.same(body.services.map((r: Row) => `${r.repo}:${r.value}`), ['team-a:1.0.0', 'team-b:2.0.0'])
  t.equal(body.services[1].commitUrl, `https://github.com/acme/team-b/commit/${'c'.repeat(40)}`)
})

t.test('replicas on one database: the standby that never led answers WORKER_NOT_READY; once it takes over it answers', async (t) => {
  const bare = makeBareRepo(tmpDir(t), exampleInfraFiles())
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())
  const databaseUrl = await freshDatabase(t)
  const worker = { pollMs: 50, retryBaseMs: 50, retryCapMs: 500, leaseTtlMs: 2000 }
  const services = (s: TestServer) => s.app.inject({ url: '/v1/services?service=orders-api', headers: auth })
  const first = await startTestServer(t, { location: gitServer.url, kind: 'http' }, { databaseUrl, worker, adminToken: TOKEN })
  await eventually(async () => ((await services(first)).statusCode === 200 ? true : undefined), 20_000, 'the leader to answer')
  const second = await startTestServer(t, { location: gitServer.url, kind: 'http' }, { databaseUrl, worker, adminToken: TOKEN })
  await eventually(() => (second.worker.leader === false ? true : undefined), 20_000, 'the second to know it is not the leader')
  const standby = await services(second)
  t.equal(standby.statusCode, 503)
  t.equal(standby.json().code, 'WORKER_NOT_READY')
  t.match((await services(first)).json().services, [{ environment: 'dev', value: '1.4.1' }, { environment: 'prod', value: '1.4.1' }])

  await first.close()
  const took = await eventually(async () => {
    const r = await services(second)
    return r.statusCode === 200 ? r : undefined
  }, 20_000, 'the second to take over and answer')
  t.match(took.json().services, [{ environment: 'dev', value: '1.4.1' }, { environment: 'prod', value: '1.4.1' }])
})
