import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { spawnServer, type ChildServer } from '../helpers/child-server.js'
import { commits, git, gitAsync, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { FALLBACK, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * Several infra-sync processes, each with its own clone and store, and a
 * human pushing unrelated commits in a loop, all to one branch of one real
 * remote. Every update lands, no human commit is lost, history stays linear,
 * and no commit is empty.
 */
const SERVERS = 3
const TAGS = 8

function infraFiles(): Record<string, string> {
  const files: Record<string, string> = { 'README.md': 'infra\n' }
  for (let i = 0; i < SERVERS; i++) {
    files[`services/svc-${i}/infra-sync.yaml`] = `source: acme/svc-${i}\nimage: ghcr.io/acme/svc-${i}\npolicy: semver\n`
    files[`services/svc-${i}/overlays/dev/kustomization.yaml`] = `resources: []\nimages:\n  - name: ghcr.io/acme/svc-${i}\n    newTag: 1.0.0\n`
  }
  return files
}

t.test('workers in separate processes and a human race to one branch: nothing lost, linear, no empty commits', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, infraFiles())
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())

  // Started together: each start is mostly a node process loading its modules, which need not wait for the others'.
  const servers: ChildServer[] = await Promise.all(
    Array.from({ length: SERVERS }, async (_, i) => {
      const s = await spawnServer(dir, { INFRA_SYNC_REPO: gitServer.url, INFRA_SYNC_SECRET: FALLBACK, INFRA_SYNC_DATA: path.join(dir, `data-${i}`), LOG_LEVEL: 'info' })
      t.teardown(() => s.proc.kill('SIGKILL'))
      return s
    }),
  )

  // The human: pull, change the README, commit, push; on a rejection, pull again. Async, so the git server keeps serving.
  const work = path.join(dir, 'human')
  // Async: a synchronous clone would block the event loop that serves it.
  await gitAsync(dir, 'clone', '-q', gitServer.url, work)
  const humanCommits: string[] = []
  let humanRunning = true
  const human = (async () => {
    for (let n = 0; humanRunning; n++) {
      fs.appendFileSync(path.join(work, 'README.md'), `note ${n}\n`)
      await gitAsync(work, 'commit', '-q', '-am', `human note ${n}`)
      for (;;) {
        try {
          await gitAsync(work, 'push', '-q', 'origin', 'HEAD:main')
          break
        } catch {
          await gitAsync(work, 'pull', '-q', '--rebase', 'origin', 'main')
        }
      }
      humanCommits.push((await gitAsync(work, 'rev-parse', 'HEAD')).trim())
      await new Promise((r) => setTimeout(r, 20))
    }
  })()

  const ids: string[][] = servers.map(() => [])
  await Promise.all(
    servers.map(async (s, i) => {
      for (let k = 1; k <= TAGS; k++) {
        const body = JSON.stringify({ source: `acme/svc-${i}`, image: `ghcr.io/acme/svc-${i}`, tag: `1.0.${k}`, ref: 'refs/heads/main' })
        const res = await fetch(`${s.url}/v1/events`, { method: 'POST', headers: signedHeaders(FALLBACK, body), body })
        t.equal(res.status, 202)
        ids[i]!.push(((await res.json()) as { id: string }).id)
        await new Promise((r) => setTimeout(r, 30))
      }
    }),
  )
  for (const [i, s] of servers.entries()) {
    for (const id of ids[i]!) {
      await eventually(async () => {
        const r = (await (await fetch(`${s.url}/v1/events/${id}`)).json()) as { status: string }
        return r.status === 'applied' || r.status === 'skipped' ? r : undefined
      }, 60_000, `event ${id} on server ${i}`)
    }
  }
  humanRunning = false
  await human
  t.ok(humanCommits.length > 0, `the human pushed ${humanCommits.length} commits meanwhile`)

  for (let i = 0; i < SERVERS; i++) t.match(git(bare, 'show', `main:services/svc-${i}/overlays/dev/kustomization.yaml`), new RegExp(`newTag: 1\\.0\\.${TAGS}\\n`), `svc-${i} reached its last build`)
  const lost = humanCommits.filter((sha) => {
    try {
      git(bare, 'merge-base', '--is-ancestor', sha, 'main')
      return false
    } catch {
      return true
    }
  })
  t.same(lost, [], 'every human commit is in the history')
  t.equal(git(bare, 'rev-list', '--min-parents=2', 'main').trim(), '', 'linear: no merges')
  const all = commits(bare)
  for (const c of all.filter((c) => c.events.length > 0)) t.not(git(bare, 'diff-tree', '--no-commit-id', '--name-only', '-r', c.sha).trim(), '', `${c.subject} changes something`)
  const trailers = all.flatMap((c) => c.events)
  t.equal(new Set(trailers).size, trailers.length, 'no event in two commits')
  git(bare, 'fsck', '--strict')
  for (const s of servers) t.equal(await s.stop(), 0)
})
