import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { git, makeBareRepo, show } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { exampleInfraFiles, startTestServer } from '../helpers/server.js'
import { SECRET_B, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * newest-build through the real service and a real remote: a tag a human
 * committed is as new as their commit, so a late build made before it does
 * not overwrite it, even though that build is newer than what infra-sync
 * itself applied last; a build made after it does.
 */
const DEV = 'services/payments-worker/overlays/dev/kustomization.yaml'
const tagIn = (text: string) => /newTag: (\S+)/.exec(text)![1]!

t.test('a late build older than a human commit is skipped as older; a newer one is applied', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, exampleInfraFiles())
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())
  const server = await startTestServer(t, { location: gitServer.url, kind: 'http' })
  // Whole hours after the seed commit, so the order of every time below is fixed whatever the machine's speed.
  const base = (Math.floor(Date.now() / 3_600_000) + 2) * 3_600_000
  const at = (h: number) => new Date(base + h * 3_600_000)
  const post = async (tag: string, builtAt: Date) => {
    const body = JSON.stringify({ source: 'acme/payments', image: 'ghcr.io/acme/payments-worker', tag, ref: 'refs/heads/main', builtAt: builtAt.toISOString() })
    const res = await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_B, body), payload: body })
    t.equal(res.statusCode, 202)
    const { id } = res.json() as { id: string }
    const r = await eventually(async () => {
      const e = await server.store.get(id)
      return e && e.status !== 'queued' && e.status !== 'failed' ? e : undefined
    })
    return { status: r.status, dev: r.targets.find((x) => x.environment === 'dev')?.code }
  }

  t.same(await post('main-a', at(1)), { status: 'applied', dev: 'updated' })

  // A human sets dev by hand, committed at hour 3.
  const work = path.join(dir, 'human')
  git(dir, 'clone', '-q', bare, work)
  fs.writeFileSync(path.join(work, DEV), fs.readFileSync(path.join(work, DEV), 'utf8').replace(/newTag: \S+/, 'newTag: main-human'))
  const when = `@${Math.floor(at(3).getTime() / 1000)} +0000`
  git(work, 'add', DEV)
  execFileSync('git', ['commit', '-q', '-m', 'pin dev to main-human by hand'], { cwd: work, env: { ...process.env, GIT_AUTHOR_NAME: 'Human Operator', GIT_AUTHOR_EMAIL: 'ops@example.com', GIT_COMMITTER_NAME: 'Human Operator', GIT_COMMITTER_EMAIL: 'ops@example.com', GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when } })
  git(work, 'push', '-q', 'origin', 'main')
  const human = git(bare, 'rev-parse', 'main').trim()

  // Built at hour 2: newer than main-a, which infra-sync applied, but older than the human's commit.
  t.same(await post('main-late', at(2)), { status: 'applied', dev: 'older' }, 'staging and prod still take it')
  t.equal(tagIn(show(bare, 'main', DEV)), 'main-human', 'dev is as the human left it')
  t.equal(git(bare, 'log', '-1', '--format=%H', 'main', '--', DEV).trim(), human, 'no commit touched dev since')

  t.same(await post('main-new', at(4)), { status: 'applied', dev: 'updated' })
  t.equal(tagIn(show(bare, 'main', DEV)), 'main-new')
  git(bare, 'fsck', '--strict', '--no-dangling')
})
