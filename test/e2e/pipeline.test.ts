import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { commits, git, makeBareRepo, show } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { exampleInfraFiles, startTestServer } from '../helpers/server.js'
import { SECRET_A, SECRET_B, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * The walking pipeline against a real remote: git http-backend behind HTTP
 * with token auth, checked afterwards with the real git CLI.
 */
const TOKEN = 'ghs_infraSyncTestToken0123456789abcdef'
const DEV = 'services/orders-api/overlays/dev/kustomization.yaml'

async function setup(t: Test) {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, exampleInfraFiles())
  const gitServer = await startGitServer(bare, { token: TOKEN })
  t.teardown(() => gitServer.close())
  const server = await startTestServer(t, { location: gitServer.url, kind: 'http', token: TOKEN })
  const post = async (body: object, secret = SECRET_A, id?: string) => {
    const payload = JSON.stringify(body)
    const res = await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(secret, payload, id ? { id } : {}), payload })
    return { ...(res.json() as { id: string; code?: string }), http: res.statusCode }
  }
  const settled = (id: string) =>
    eventually(async () => {
      const r = await server.store.get(id)
      return r && r.status !== 'queued' && !(r.status === 'failed' && r.code === 'GIT_REMOTE') ? r : undefined
    })
  return { dir, bare, gitServer, server, post, settled }
}

/** One setup for the subtests that can share it, made when the first of them asks; a server costs a worker thread's start. */
function sharedSetup(): () => ReturnType<typeof setup> {
  let made: ReturnType<typeof setup> | undefined
  return () => (made ??= setup(t))
}
// The first makes no commit, so the second still starts from the seed (orders-api at 1.4.1).
const unchangedThenOne = sharedSetup()
// The remote down, then its pushes refused: the second sends a build of its own (1.4.3), and reads every log line of both.
const remoteFailing = sharedSetup()

const orders = (tag: string, over: object = {}) => ({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag, ref: 'refs/heads/main', commit: 'c0ffee0000000000000000000000000000000001', buildUrl: 'https://ci.example/runs/7', ...over })

t.test('already current, other branches, other sources: recorded, no commit', async (t) => {
  const { bare, post, settled } = await unchangedThenOne()
  const current = await settled((await post(orders('1.4.1'))).id)
  t.equal(current.status, 'skipped')
  t.same(current.targets.map((x) => x.code), ['already-current', 'already-current'])
  const branch = await settled((await post(orders('1.5.0', { ref: 'refs/heads/feature/x' }))).id)
  t.equal(branch.status, 'skipped')
  t.equal(branch.code, 'branch-filtered')
  t.match(branch.reason, /refs\/heads\/feature\/x is not in branches \[main\]/)
  // acme/payments, with its own valid secret, names orders-api's image: authenticated, but not its service.
  const foreign = await settled((await post(orders('9.9.9', { source: 'acme/payments' }), SECRET_B)).id)
  t.equal(foreign.status, 'rejected')
  t.equal(foreign.code, 'source-mismatch')
  t.equal(commits(bare).length, 1, 'no commit was made')
})

t.test('a signed event becomes exactly one correct commit on the remote', async (t) => {
  const { dir, bare, server, post, settled } = await unchangedThenOne()
  const before = git(bare, 'rev-parse', 'main').trim()
  const { http, id } = await post(orders('1.4.2'))
  t.equal(http, 202)
  const r = await settled(id)
  t.equal(r.status, 'applied')
  const log = commits(bare)
  t.equal(log.length, 2)
  t.equal(log[0]!.sha, r.commit)
  t.equal(log[0]!.subject, 'deploy(orders-api/dev): 1.4.1 → 1.4.2')
  t.same(log[0]!.events, [id])
  t.equal(git(bare, 'log', '-1', '--format=%(trailers:key=Source-Commit,valueonly)', 'main').trim(), 'acme/orders-api@c0ffee0000000000000000000000000000000001')
  t.match(git(bare, 'log', '-1', '--format=%B', 'main'), /build https:\/\/ci\.example\/runs\/7/)
  // Only the tag's bytes changed.
  t.equal(git(bare, 'diff', '--numstat', before, 'main').trim(), `1\t1\t${DEV}`)
  t.equal(show(bare, 'main', DEV), show(bare, before, DEV).replace('newTag: 1.4.1', 'newTag: 1.4.2'))
  git(bare, 'fsck', '--strict', '--no-dangling')
  // The same through a fresh clone, as Argo CD would see it.
  git(dir, 'clone', '-q', bare, path.join(dir, 'check'))
  t.match(fs.readFileSync(path.join(dir, 'check', DEV), 'utf8'), /newTag: 1\.4\.2/)
})

t.test('someone pushed first: re-planned on their head, never forced, their commit kept', async (t) => {
  const { dir, bare, gitServer, post, settled } = await setup(t)
  const human = path.join(dir, 'human')
  git(dir, 'clone', '-q', bare, human)
  let raced = false
  gitServer.hooks = {
    before: (req) => {
      if (req.service === 'receive-pack' && !raced) {
        raced = true
        fs.writeFileSync(path.join(human, 'services/orders-api/base/service.yaml'), 'kind: Service # changed by a human\n')
        git(human, 'commit', '-qam', 'human: tweak the service')
        git(human, 'push', '-q', 'origin', 'main')
      }
    },
  }
  const r = await settled((await post(orders('1.4.2'))).id)
  t.equal(r.status, 'applied')
  const log = commits(bare)
  t.same(log.map((c) => c.subject), ['deploy(orders-api/dev): 1.4.1 → 1.4.2', 'human: tweak the service', 'seed'])
  t.equal(git(bare, 'rev-list', '--merges', '--count', 'main').trim(), '0')
  t.match(show(bare, 'main', 'services/orders-api/base/service.yaml'), /changed by a human/)
})

t.test('a burst is coalesced: every event applied once, in a handful of commits', async (t) => {
  const { bare, server, post, settled } = await setup(t)
  await server.worker.stop()
  const ids: string[] = []
  for (let i = 0; i < 40; i++) {
    const ev = i % 2 === 0 ? orders(`1.5.${i}`) : { source: 'acme/payments', image: 'ghcr.io/acme/payments-worker', tag: `main-${i}`, ref: 'refs/heads/main', builtAt: new Date(Date.now() + i * 1000).toISOString() }
    ids.push((await post(ev, i % 2 === 0 ? SECRET_A : SECRET_B)).id)
  }
  await server.worker.start()
  const results = await Promise.all(ids.map(settled))
  t.ok(results.every((r) => r.status === 'applied' || (r.status === 'skipped' && r.targets.every((x) => x.code === 'superseded' || x.code === 'pull-request-unavailable'))))
  const log = commits(bare)
  t.ok(log.length - 1 <= 3, `${log.length - 1} commits for 40 events`)
  const applied = results.filter((r) => r.status === 'applied').map((r) => r.id)
  t.same(log.flatMap((c) => c.events).sort(), applied.sort(), 'one trailer per applied event, no duplicates')
  t.match(show(bare, 'main', DEV), /newTag: 1\.5\.38/)
  t.match(show(bare, 'main', 'services/payments-worker/overlays/prod/kustomization.yaml'), /newTag: main-39/)
})

t.test('the remote down: events wait, failed with a reason; they drain when it is back', async (t) => {
  const { bare, gitServer, post, settled, server } = await remoteFailing()
  gitServer.hooks = { before: () => 'fail' }
  const { id } = await post(orders('1.4.2'))
  const failed = await eventually(async () => {
    const r = await server.store.get(id)
    return r?.status === 'failed' ? r : undefined
  })
  t.equal(failed.code, 'GIT_REMOTE')
  t.equal(failed.attempts, 0, 'the remote being down does not count against the event')
  const res = (await server.app.inject({ url: `/v1/events/${id}` })).json()
  t.equal(res.status, 'failed')
  t.ok(res.nextAttemptAt)
  gitServer.hooks = {}
  const r = await settled(id)
  t.equal(r.status, 'applied')
  t.equal(commits(bare).length, 2)
})

t.test('the token never reaches a log, an error or a commit', async (t) => {
  const { bare, gitServer, post, settled, server } = await remoteFailing()
  gitServer.hooks = { before: (req) => (req.service === 'receive-pack' ? 'fail' : undefined) }
  const { id } = await post(orders('1.4.3'))
  await eventually(async () => ((await server.store.get(id))?.status === 'failed' ? true : undefined))
  gitServer.hooks = {}
  await settled(id)
  const everything = [server.logs.join(''), git(bare, 'log', '-p', '--all'), JSON.stringify(await server.store.get(id))].join('\n')
  t.notMatch(everything, TOKEN)
  t.notMatch(everything, SECRET_A)
  t.ok(gitServer.requests.every((r) => r.authorization), 'every request to the remote was authenticated')
})
