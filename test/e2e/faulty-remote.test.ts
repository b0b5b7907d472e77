import t from 'tap'
import { commits, git, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { exampleInfraFiles, startTestServer } from '../helpers/server.js'
import { SECRET_A, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * A remote that fails requests by a fixed schedule, answers a push after
 * 10 s, or cuts the connection after a push has landed. Intake keeps
 * accepting; the backlog drains; every event is applied once (one trailer),
 * none is lost. Faults follow the request's place in the schedule, never the
 * clock, and the assertions are on outcomes only: how many requests or
 * batches a loaded machine happens to make does not matter.
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

t.test('requests fail by a fixed schedule: the backlog drains, nothing lost or doubled', async (t) => {
  const { gitServer, post, drained, checkOnce } = await setup(t)
  // The first of each kind always fails: the clone's ref discovery, its fetch and the first push
  // cannot be avoided, so faults are injected by construction. After them, seeded coin flips for
  // the next requests (not a strict alternation, which could fail the same step of every try), and a
  // finite schedule, so the remote heals whatever the worker's pace.
  let seed = 7
  const coin = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 < 0.5
  const seen = new Map<string, number>()
  const failedFirst = new Set<string>()
  let n = 0
  gitServer.hooks = {
    before: (req) => {
      const kind = req.service
      const k = (seen.get(kind) ?? 0) + 1
      seen.set(kind, k)
      n++
      if (k === 1 && kind !== 'other') {
        failedFirst.add(kind)
        return 'fail'
      }
      return n <= 30 && coin() ? 'fail' : undefined
    },
  }
  const ids: string[] = []
  for (let k = 0; k < 12; k++) {
    ids.push(await post(`1.5.${k}`))
    // Spread out, so that several batches meet the failing remote.
    await new Promise((r) => setTimeout(r, 40))
  }
  const done = await drained(ids)
  t.same([...failedFirst].sort(), ['info-refs', 'receive-pack', 'upload-pack'], 'the scheduled faults were met on every kind of request')
  t.equal(done.length, ids.length, 'every event reached a final status')
  checkOnce(ids, '1.5.11')
})

t.test('a push answered after 10 s, and a connection cut after the push landed', async (t) => {
  const { bare, gitServer, post, drained, checkOnce } = await setup(t)
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
  await eventually(() => (pushes === 1 ? true : undefined), 30_000, 'the first push to be in flight')
  const more: string[] = []
  for (let k = 1; k <= 5; k++) more.push(await post(`1.6.${k}`))
  const done = await drained([first, ...more], 90_000)
  t.equal(done[0]!.status, 'applied', 'the slow push was not given up on')
  t.equal(done[5]!.status, 'applied', 'the newest build reached the remote, though its push was never answered')
  // Exactly once (checkOnce): the unknown outcome was settled from the trailers, not by pushing again.
  checkOnce([first, ...more], '1.6.5')
  t.equal(done[5]!.commit, commits(bare).find((c) => c.events.includes(more[4]!))?.sha, 'its commit is the one that carries it')
})

t.test('a remote that fails after the first fetch: ready but degraded, intake keeps accepting, the backlog drains when it is back', async (t) => {
  const { gitServer, post, drained, checkOnce, server } = await setup(t)
  const readyz = async () => {
    const res = await server.app.inject({ method: 'GET', url: '/readyz' })
    return { code: res.statusCode, body: res.json() as { status: string; checks: Record<string, string> } }
  }
  t.same((await eventually(async () => ((await readyz()).code === 200 ? readyz() : undefined), 20_000, 'ready')).body.status, 'ready')
  gitServer.hooks = { before: () => 'fail' }
  const ids = [await post('1.7.0')]
  const degraded = await eventually(async () => {
    const r = await readyz()
    return r.body.status === 'degraded' ? r : undefined
  }, 30_000, 'the circuit to open')
  t.equal(degraded.code, 200, 'still ready: events are taken and wait')
  t.match(degraded.body.checks.repo, /^degraded: circuit open, next try at .*: GIT_REMOTE: /)
  t.match((await server.app.inject({ method: 'GET', url: '/metrics' })).body, /infra_sync_remote_circuit_open 1/)
  for (let k = 1; k <= 3; k++) ids.push(await post(`1.7.${k}`))
  gitServer.hooks = {}
  const done = await drained(ids)
  t.equal(done.length, ids.length)
  // The worker thread tells the main thread a moment after the store has the results.
  const healed = await eventually(async () => {
    const r = await readyz()
    return r.body.status === 'ready' ? r : undefined
  }, 10_000, 'readiness to leave degraded')
  t.same(healed.body, { status: 'ready', checks: { store: 'ok', repo: 'ok' }, worker: { leader: true } }, 'no longer degraded')
  t.match((await server.app.inject({ method: 'GET', url: '/metrics' })).body, /infra_sync_remote_circuit_open 0/)
  checkOnce(ids, '1.7.3')
})
