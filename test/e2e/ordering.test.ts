import fc from 'fast-check'
import semver from 'semver'
import t from 'tap'
import { commits, git, makeBareRepo, show } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { exampleInfraFiles, startTestServer } from '../helpers/server.js'
import { SECRET_A, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * Never a downgrade, through the real service and a real git remote: a
 * sequence of builds, with duplicates (new deliveries of the same build and
 * redeliveries of the same webhook), posted concurrently in an order
 * fast-check's scheduler picks. Whatever the order, the environment ends at
 * the highest build, the history only ever goes up, every commit changes the
 * file, and no commit carries an event older than what it replaced.
 */
const DEV = 'services/orders-api/overlays/dev/kustomization.yaml'
const tagIn = (text: string) => /newTag: (\S+)/.exec(text)![1]!

t.test('property: any delivery order ends at the maximum and never commits a lower value', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, exampleInfraFiles())
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())
  const server = await startTestServer(t, { location: gitServer.url, kind: 'http' })
  let run = 0

  const delivery = fc.record({ build: fc.nat(), redeliver: fc.boolean() })
  const scenario = fc.record({ builds: fc.integer({ min: 2, max: 5 }), deliveries: fc.array(delivery, { minLength: 2, maxLength: 9 }) })

  await fc.assert(
    fc.asyncProperty(fc.scheduler(), scenario, async (s, { builds, deliveries }) => {
      run++
      // Each run starts above the last one's values, on the same repository.
      const version = (i: number) => `${run + 1}.0.${i}`
      const start = git(bare, 'rev-parse', 'main').trim()
      const sent = new Map<string, string>()
      const post = async (d: { build: number; redeliver: boolean }, n: number) => {
        const i = d.build % builds
        const body = JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: version(i), ref: 'refs/heads/main', builtAt: new Date(Date.UTC(2026, 0, 1, run, 0, i)).toISOString() })
        // A redelivery reuses the webhook id of the build's first delivery; otherwise it is a CI re-run with a new id.
        const webhookId = d.redeliver ? `run${run}-build${i}` : `run${run}-n${n}`
        const res = await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, body, { id: webhookId }), payload: body })
        if (res.statusCode !== 202 && res.statusCode !== 200) throw new Error(`unexpected ${res.statusCode}`)
        sent.set((res.json() as { id: string }).id, version(i))
      }
      const posted = deliveries.map((d, n) => s.schedule(Promise.resolve(d)).then((x) => post(x, n)))
      await s.waitAll()
      await Promise.all(posted)
      for (const id of sent.keys()) {
        const r = await eventually(async () => {
          const e = await server.store.get(id)
          return e && e.status !== 'queued' ? e : undefined
        })
        if (r.status !== 'applied' && r.status !== 'skipped') throw new Error(`event ${id} ended ${r.status} ${r.code}`)
      }
      const max = [...sent.values()].sort(semver.compare).at(-1)!
      if (tagIn(show(bare, 'main', DEV)) !== max) return false
      // Walk the new commits oldest first: every one raises the value and carries only newer events.
      const fresh = commits(bare).slice(0, Number(git(bare, 'rev-list', '--count', `${start}..main`).trim())).reverse()
      let before = tagIn(show(bare, start, DEV))
      for (const c of fresh) {
        const after = tagIn(show(bare, c.sha, DEV))
        if (!semver.gt(after, before)) return false
        if (c.events.length === 0) return false
        for (const e of c.events) if (!semver.gt(sent.get(e)!, before)) return false
        before = after
      }
      return true
    }),
    { numRuns: 12 },
  )
  t.pass('no downgrade, no stale commit, always the maximum')
  git(bare, 'fsck', '--strict', '--no-dangling')
})
