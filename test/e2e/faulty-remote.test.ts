import t from 'tap'
import { commits, git, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { exampleInfraFiles, startTestServer } from '../helpers/server.js'
import { SECRET_A, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * A remote that fails half its requests, answers a push after 10 s, or cuts
 * the connection after a push has landed. Intake keeps accepting; the backlog
 * drains; every event is applied once (one trailer), none is lost.
 */
const DEV = 'services/orders-api/overlays/dev/kustomization.yaml'
const WORKER = { pollMs: 50, retryBaseMs: 50, retryCapMs: 400 }

async function setup(t: Parameters<Parameters<typeof t.test>[1]>[0]) {
  const bare = makeBareRepo(tmpDir(t), exampleInfraFiles())
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())
  const server = await startTestServer(t, { location: gitServer.url, kind: 'http' }, { worker: WORKER })
  const post = async (tag: string) => {
    const body = JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag, ref: 'refs/heads/main' })
    const res = await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, body), payload: body })
    t.equal(res.statusCode, 202, `${tag} accepted while the remote misbehaves`)
    return res.json().id as string
  }
  const drained = async (ids: string[], timeoutMs = 60_000) => {
    const out = []
    for (const id of ids) {
      out.push(
        await eventually(async () => {
          const r = await server.store.get(id)
          return r && (r.status === 'applied' || r.status === 'skipped') ? r : undefined
        }, timeoutMs, `event ${id}`),
      )
    }
    return out
  }
  const checkOnce = (ids: string[], last: string) => {
    const trailers = commits(bare).flatMap((c) => c.events)
    t.equal(new Set(trailers).size, trailers.length, 'no event carried by two commits')
    t.match(git(bare, 'show', `main:${DEV}`), new RegExp(`newTag: ${last.replace(/\./g, '\\.')}\\n`), `ends at ${last}`)
    t.ok(ids.some((id) => trailers.includes(id)), 'events reached the remote')
    git(bare, 'fsck', '--strict', '--no-dangling')
  }
  return { bare, gitServer, server, post, drained, checkOnce }
}

t.test('half of all requests fail: the backlog drains, nothing lost or doubled', async (t) => {
  const { gitServer, post, drained, checkOnce } = await setup(t)
  // Seeded coin flips: a strict alternation would fail the same step of every attempt forever.
  let seed = 7
  const coin = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 < 0.5)
  let n = 0
  let failed = 0
  gitServer.hooks = {
    before: () => {
      n++
      if (!coin()) return undefined
      failed++
      return 'fail'
    },
  }
  const ids: string[] = []
  for (let k = 0; k < 12; k++) {
    ids.push(await post(`1.5.${k}`))
    // Spread out, so the worker makes many batches against the failing remote.
    await new Promise((r) => setTimeout(r, 40))
  }
  const done = await drained(ids)
  t.ok(failed >= 3 && failed < n, `${failed} of ${n} requests to the remote failed`)
  t.equal(done.length, ids.length, 'every event reached a final status')
  checkOnce(ids, '1.5.11')
})

t.test('a push answered after 10 s, and a connection cut after the push landed', async (t) => {
  const { gitServer, post, drained, checkOnce, server } = await setup(t)
  let pushes = 0
  gitServer.hooks = {
    after: async (req) => {
      if (req.service !== 'receive-pack') return undefined
      pushes++
      if (pushes === 1) await new Promise((r) => setTimeout(r, 10_000))
      // The second push lands, then the answer is lost: the outcome is unknown to infra-sync.
      return pushes === 2 ? 'drop' : undefined
    },
  }
  const first = await post('1.6.0')
  await eventually(() => (pushes === 1 ? true : undefined), 10_000, 'the first push to be in flight')
  const more: string[] = []
  for (let k = 1; k <= 5; k++) more.push(await post(`1.6.${k}`))
  const done = await drained([first, ...more], 90_000)
  t.equal(done[0]!.status, 'applied', 'the slow push was not given up on')
  const dropped = done.filter((r) => r.status === 'applied')
  t.ok(dropped.length >= 2)
  checkOnce([first, ...more], '1.6.5')
  t.match(server.logs.join(''), /found already-pushed events in the remote history/, 'the unknown outcome was settled from the trailers, not by pushing again')
})

t.test('a remote that is down opens the circuit; intake keeps accepting; the backlog drains when it is back', async (t) => {
  const { gitServer, post, drained, checkOnce, server } = await setup(t)
  gitServer.hooks = { before: () => 'fail' }
  const ids = [await post('1.7.0')]
  await eventually(() => (server.logs.join('').includes('circuit open') ? true : undefined), 20_000, 'the circuit to open')
  const metrics = await server.app.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /infra_sync_remote_circuit_open 1/)
  for (let k = 1; k <= 3; k++) ids.push(await post(`1.7.${k}`))
  const before = gitServer.requests.length
  await new Promise((r) => setTimeout(r, 300))
  t.ok(gitServer.requests.length - before <= 6, `while open the worker leaves the remote alone (${gitServer.requests.length - before} requests in 300 ms)`)
  gitServer.hooks = {}
  const done = await drained(ids)
  t.equal(done.length, ids.length)
  t.match(server.logs.join(''), /circuit closed/)
  t.match((await server.app.inject({ method: 'GET', url: '/metrics' })).body, /infra_sync_remote_circuit_open 0/)
  checkOnce(ids, '1.7.3')
})
