import t from 'tap'
import { makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { exampleInfraFiles, startTestServer, type TestServer } from '../helpers/server.js'
import { SECRET_A, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * /readyz: not ready until the infra repo was fetched once since start, with
 * the reason in the body, so a misconfigured new pod never takes traffic and
 * a rolling update stops. A remote that refuses us is logged at once, at
 * error level, with its own answer and never the token.
 */
const TOKEN = 'ghp_rightToken_0123456789abcdefghij'
const WRONG = 'ghp_wrongToken_9876543210zyxwvutsrq'

const readyz = async (server: TestServer) => {
  const res = await server.app.inject({ method: 'GET', url: '/readyz' })
  return { code: res.statusCode, body: res.json() as { status: string; checks: Record<string, string> } }
}
const lines = (server: TestServer) => server.logs.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)

for (const [name, remote, status, said] of [
  ['a wrong token', (url: string) => ({ location: url, token: WRONG }), 401, 'unauthorised'],
  ['a wrong URL', (url: string) => ({ location: url.replace(/infra\.git$/, 'nope.git'), token: TOKEN }), 404, 'Repository not found.'],
] as const) {
  t.test(`${name}: never ready, and the log says what the remote said`, async (t) => {
    const bare = makeBareRepo(tmpDir(t), exampleInfraFiles())
    const gitServer = await startGitServer(bare, { token: TOKEN })
    t.teardown(() => gitServer.close())
    const server = await startTestServer(t, { ...remote(gitServer.url), kind: 'http' })
    const refused = await eventually(() => lines(server).find((l) => l.level === 50 && l.status === status), 20_000, 'the refusal to be logged')
    t.equal(refused.remoteMessage, said, "the remote's own answer")
    t.match(refused.msg, /check its URL and the token/)
    const r = await readyz(server)
    t.equal(r.code, 503)
    t.equal(r.body.status, 'not ready')
    t.match(r.body.checks.repo, new RegExp(`^not fetched yet: GIT_REMOTE: .*HTTP ${status}`))
    t.equal(r.body.checks.store, 'ok')
    // Events are still taken (and wait): readiness only keeps new traffic away from this pod.
    const body = JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2', ref: 'refs/heads/main' })
    t.equal((await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, body), payload: body })).statusCode, 202)
    for (const secret of [WRONG, TOKEN, Buffer.from(`x-access-token:${WRONG}`).toString('base64')]) {
      t.notOk(server.logs.join('').includes(secret), 'no token in the logs')
      t.notOk(JSON.stringify(r.body).includes(secret), 'nor in the readiness body')
    }
  })
}

t.test('a remote down at start: not ready, then ready once it answers; an event waits and is applied', async (t) => {
  const bare = makeBareRepo(tmpDir(t), exampleInfraFiles())
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())
  gitServer.hooks = { before: () => 'fail' }
  const server = await startTestServer(t, { location: gitServer.url, kind: 'http' })
  const down = await eventually(async () => {
    const r = await readyz(server)
    return /HTTP 500/.test(r.body.checks.repo ?? '') ? r : undefined
  }, 20_000, 'readiness to say why')
  t.equal(down.code, 503)
  t.match(down.body.checks.repo, /^not fetched yet: GIT_REMOTE: .*HTTP 500 \(the remote said: injected failure\)/)
  t.notOk(lines(server).some((l) => l.level === 50 && l.status === 500), 'a 500 is not a configuration error')
  const body = JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2', ref: 'refs/heads/main' })
  const id = (await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, body), payload: body })).json().id as string

  gitServer.hooks = {}
  const up = await eventually(async () => {
    const r = await readyz(server)
    return r.code === 200 ? r : undefined
  }, 20_000, 'ready once the repo was fetched')
  t.same(up.body, { status: 'ready', checks: { store: 'ok', repo: 'ok' }, worker: { leader: true } })
  const applied = await eventually(async () => {
    const r = await server.store.get(id)
    return r?.status === 'applied' ? r : undefined
  }, 20_000, 'the waiting event to be applied')
  t.ok(applied.commit)
})
