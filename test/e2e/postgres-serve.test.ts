import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import t from 'tap'
import { spawnServer } from '../helpers/child-server.js'
import { commits, git, makeBareRepo } from '../helpers/git-cli.js'
import { freshDatabase } from '../helpers/postgres.js'
import { startGitServer } from '../helpers/git-server.js'
import { exampleInfraFiles } from '../helpers/server.js'
import { FALLBACK, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * `infra-sync serve` (node dist/cli.js) with INFRA_SYNC_DATABASE_URL on a
 * fresh PostgreSQL database: it migrates at start, a signed event is
 * applied, and the event lives in the database across a restart.
 */
const PASSWORD = 'pg-password-never-logged-5a9e'

t.test('serve on PostgreSQL: an event is accepted, applied and kept across a restart', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, exampleInfraFiles())
  const database = new URL(await freshDatabase(t))
  // This machine's server trusts local connections: the password is only there to be kept out of the logs.
  database.password = PASSWORD
  const env = { INFRA_SYNC_REPO: bare, INFRA_SYNC_SECRET: FALLBACK, INFRA_SYNC_DATA: path.join(dir, 'data'), INFRA_SYNC_DATABASE_URL: database.toString() }
  let child = await spawnServer(dir, env)
  t.teardown(() => child.proc.kill('SIGKILL'))

  const body = JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2', ref: 'refs/heads/main' })
  const headers = signedHeaders(FALLBACK, body)
  const res = await fetch(`${child.url}/v1/events`, { method: 'POST', headers, body })
  t.equal(res.status, 202)
  const { id } = (await res.json()) as { id: string }
  const applied = await eventually(async () => {
    const r = (await (await fetch(`${child.url}/v1/events/${id}`)).json()) as { status: string; commit?: string }
    return r.status === 'applied' ? r : undefined
  }, 30_000, 'the event to be applied')
  const carrying = commits(bare).filter((c) => c.events.includes(id))
  t.equal(carrying.length, 1, 'one commit carries the event')
  t.equal(applied.commit, carrying[0]!.sha)
  git(bare, 'fsck', '--strict')

  const client = new pg.Client({ connectionString: database.toString() })
  await client.connect()
  t.teardown(() => client.end())
  const row = (await client.query<{ status: string; commit_sha: string }>('SELECT status, commit_sha FROM events WHERE id = $1', [id])).rows[0]
  t.same(row, { status: 'applied', commit_sha: applied.commit }, 'the event is in PostgreSQL')
  t.notOk(fs.existsSync(path.join(dir, 'data', 'infra-sync.db')), 'no SQLite store was made')
  t.equal(await child.stop(), 0, 'a clean shutdown on SIGTERM')

  child = await spawnServer(dir, env)
  const again = await fetch(`${child.url}/v1/events`, { method: 'POST', headers, body })
  t.match(await again.json(), { id, duplicate: 'delivery' }, 'the same delivery after a restart is the same event')
  t.match(await (await fetch(`${child.url}/v1/events/${id}`)).json(), { status: 'applied', commit: applied.commit })
  t.equal(commits(bare).length, 2, 'seed + one deploy')
  t.equal(await child.stop(), 0)
  t.notOk(child.output().includes(PASSWORD), 'the password is never logged')
})

t.test('serve on PostgreSQL, killed while pushing: after a restart the event is applied once, at once', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, exampleInfraFiles())
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())
  const env = { INFRA_SYNC_REPO: gitServer.url, INFRA_SYNC_SECRET: FALLBACK, INFRA_SYNC_DATA: path.join(dir, 'data'), INFRA_SYNC_DATABASE_URL: await freshDatabase(t) }
  let child = await spawnServer(dir, env)
  t.teardown(() => child.proc.kill('SIGKILL'))
  let killed = false
  // The push lands, then the process dies before it hears back: the restart must settle it from git history, not push again.
  gitServer.hooks = {
    after: async (req) => {
      if (killed || req.service !== 'receive-pack') return undefined
      killed = true
      await child.kill9()
      return 'drop' as const
    },
  }
  const body = JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2', ref: 'refs/heads/main' })
  const res = await fetch(`${child.url}/v1/events`, { method: 'POST', headers: signedHeaders(FALLBACK, body), body })
  t.equal(res.status, 202)
  const { id } = (await res.json()) as { id: string }
  await eventually(() => (killed && child.proc.signalCode === 'SIGKILL' ? true : undefined), 20_000, 'the kill')

  gitServer.hooks = {}
  child = await spawnServer(dir, env)
  // Well inside the 60 s a crashed claimer's claim would otherwise hold the event.
  const final = await eventually(async () => {
    const r = (await (await fetch(`${child.url}/v1/events/${id}`)).json()) as { status: string; commit?: string }
    return r.status === 'applied' ? r : undefined
  }, 30_000, 'the event to be applied after the restart')
  const carrying = commits(bare).filter((c) => c.events.includes(id))
  t.equal(carrying.length, 1, 'exactly one commit carries the event')
  t.equal(final.commit, carrying[0]!.sha)
  t.equal(commits(bare).length, 2, 'seed + one deploy')
  git(bare, 'fsck', '--strict')
  t.equal(await child.stop(), 0)
})
