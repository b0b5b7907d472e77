import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import t from 'tap'
import { spawnServer, type ChildServer } from '../helpers/child-server.js'
import { commits, git, gitAsync, makeBareRepo, show } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { freshDatabase } from '../helpers/postgres.js'
import { FALLBACK, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * Three `infra-sync serve` processes on one PostgreSQL database and one
 * remote, as three replicas behind a load balancer. Events go round-robin to
 * whichever replicas are up; the lease holder is killed with SIGKILL twice
 * just after a push landed (before it could record it), every connection to
 * the database is cut once, and a person pushes a commit of their own in
 * between. The outcome is what the promises say: every event reaches a final
 * status, none is carried by two commits, the person's commit is kept, and
 * each service ends on its newest build.
 */
const SERVICES = ['svc-a', 'svc-b', 'svc-c', 'svc-d']
const TAGS = ['1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.0.5', '1.0.6']
const FINAL = new Set(['applied', 'skipped', 'superseded', 'rejected', 'declined', 'dead'])

function infraFiles(): Record<string, string> {
  const files: Record<string, string> = { 'README.md': 'infra\n' }
  for (const s of SERVICES) {
    files[`services/${s}/infra-sync.yaml`] = `source: acme/${s}\nimage: ghcr.io/acme/${s}\npolicy: semver\n`
    files[`services/${s}/overlays/dev/kustomization.yaml`] = `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\nimages:\n  - name: ghcr.io/acme/${s}\n    newTag: 1.0.0 # pinned by CI\n`
  }
  return files
}

interface Readyz {
  readonly worker?: { readonly leader?: boolean }
}

t.test('three replicas on PostgreSQL: two leaders killed mid-batch, connections cut, a human commit: every event final once, newest tags', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, infraFiles())
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())
  const database = await freshDatabase(t)
  const envOf = (i: number) => ({ INFRA_SYNC_REPO: gitServer.url, INFRA_SYNC_SECRET: FALLBACK, INFRA_SYNC_DATA: path.join(dir, `data-${i}`), INFRA_SYNC_DATABASE_URL: database })
  const replicas: (ChildServer | undefined)[] = []
  for (let i = 0; i < 3; i++) replicas.push(await spawnServer(dir, envOf(i)))
  t.teardown(() => replicas.forEach((r) => r?.proc.kill('SIGKILL')))

  const leader = async (): Promise<number | undefined> => {
    for (const [i, r] of replicas.entries()) {
      if (!r || r.proc.exitCode !== null || r.proc.signalCode !== null) continue
      const body = (await fetch(`${r.url}/readyz`).then((x) => x.json(), () => ({}))) as Readyz
      if (body.worker?.leader === true) return i
    }
    return undefined
  }

  // The first two pushes land in git, then their pusher dies before it hears back: the second is
  // necessarily the next leader's, after it took over from the first.
  const kills: number[] = []
  gitServer.hooks = {
    after: async (req) => {
      if (req.service !== 'receive-pack' || kills.length >= 2) return undefined
      const i = await leader()
      if (i === undefined) return undefined
      kills.push(i)
      await replicas[i]!.kill9()
      replicas[i] = undefined
      return 'drop' as const
    },
  }

  const ids: string[] = []
  let next = 0
  const send = async (service: string, tag: string) => {
    const body = JSON.stringify({ source: `acme/${service}`, image: `ghcr.io/acme/${service}`, tag, ref: 'refs/heads/main' })
    const headers = signedHeaders(FALLBACK, body)
    // Round-robin over the replicas that are up; a replica that died mid-request is passed over, as a load balancer would.
    for (let tries = 0; tries < 6; tries++) {
      const r = replicas[next++ % replicas.length]
      if (!r) continue
      const res = await fetch(`${r.url}/v1/events`, { method: 'POST', headers, body }).catch(() => undefined)
      if (res?.status === 202 || res?.status === 200) {
        ids.push(((await res.json()) as { id: string }).id)
        return
      }
    }
    throw new Error('no replica accepted the event')
  }

  const admin = new pg.Client({ connectionString: database })
  await admin.connect()
  t.teardown(() => admin.end())
  for (const [round, tag] of TAGS.entries()) {
    for (const s of SERVICES) await send(s, tag)
    if (round === 1) await eventually(() => (kills.length >= 1 ? true : undefined), 60_000, 'the first leader killed')
    if (round === 2) {
      // Every replica's connections cut at once: pools and listeners must reconnect.
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')
    }
    if (round === 3) {
      // A person's commit, pushed straight to the remote between two batches of infra-sync's.
      const work = path.join(dir, 'human')
      await gitAsync(dir, 'clone', '-q', bare, work)
      git(work, 'config', 'user.email', 'human@example.com')
      git(work, 'config', 'user.name', 'Human')
      git(work, 'commit', '-q', '--allow-empty', '-m', 'human: a note of my own')
      // The remote may move under us: pull and push again until it lands.
      await eventually(async () => {
        await gitAsync(work, 'pull', '-q', '--rebase').catch(() => undefined)
        return await gitAsync(work, 'push', '-q', 'origin', 'HEAD:main').then(() => true, () => undefined)
      }, 30_000, 'the human push')
      await eventually(() => (kills.length >= 2 ? true : undefined), 60_000, 'the second leader killed')
      // The killed replicas come back (same data folders), as an orchestrator would restart them.
      for (const i of kills) replicas[i] = await spawnServer(dir, envOf(i))
    }
  }
  t.not(kills[0], kills[1], 'each kill hit the leader of its time')

  const survivor = () => replicas.find((r) => r !== undefined)!
  const finals = await eventually(async () => {
    const out: { id: string; status: string; commit?: string }[] = []
    for (const id of ids) {
      const r = (await (await fetch(`${survivor().url}/v1/events/${id}`)).json()) as { id: string; status: string; commit?: string }
      if (!FINAL.has(r.status)) return undefined
      out.push(r)
    }
    return out
  }, 120_000, 'every event to reach a final status')

  t.equal(finals.length, SERVICES.length * TAGS.length)
  t.same(finals.filter((f) => f.status === 'dead'), [], 'no event dead')
  const history = commits(bare)
  for (const id of ids) t.ok(history.filter((c) => c.events.includes(id)).length <= 1, `event ${id} is in at most one commit`)
  for (const f of finals.filter((x) => x.status === 'applied')) {
    const carrying = history.filter((c) => c.events.includes(f.id))
    t.equal(carrying.length, 1, `applied event ${f.id} is carried by one commit`)
    t.equal(f.commit, carrying[0]?.sha)
  }
  t.ok(history.some((c) => c.subject === 'human: a note of my own'), 'the human commit is kept')
  for (const s of SERVICES) t.match(show(bare, 'main', `services/${s}/overlays/dev/kustomization.yaml`), /newTag: 1\.0\.6 # pinned by CI\n/, `${s} runs its newest build`)
  git(bare, 'fsck', '--strict')
  for (const r of replicas) if (r) t.equal(await r.stop(), 0, 'a clean shutdown')
})

t.test('an event accepted by a standby replica wakes the leader through PostgreSQL, with polling out of the picture', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, infraFiles())
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())
  const database = await freshDatabase(t)
  // Idle workers look for due events every ten minutes: only a notification can bring the event to the leader within the test.
  fs.writeFileSync(path.join(dir, 'infra-sync.config.yaml'), 'worker:\n  pollMs: 600000\n')
  const envOf = (i: number) => ({ INFRA_SYNC_CONFIG: path.join(dir, 'infra-sync.config.yaml'), INFRA_SYNC_REPO: gitServer.url, INFRA_SYNC_SECRET: FALLBACK, INFRA_SYNC_DATA: path.join(dir, `data-${i}`), INFRA_SYNC_DATABASE_URL: database })
  const replicas = [await spawnServer(dir, envOf(0)), await spawnServer(dir, envOf(1))]
  t.teardown(() => replicas.forEach((r) => r.proc.kill('SIGKILL')))
  const roles = await eventually(async () => {
    const leaders = await Promise.all(replicas.map(async (r) => ((await (await fetch(`${r.url}/readyz`)).json()) as Readyz).worker?.leader === true))
    return leaders.filter(Boolean).length === 1 ? leaders : undefined
  }, 30_000, 'one leader')
  const standby = replicas[roles.indexOf(false)]!
  const body = JSON.stringify({ source: 'acme/svc-a', image: 'ghcr.io/acme/svc-a', tag: '2.0.0', ref: 'refs/heads/main' })
  const res = await fetch(`${standby.url}/v1/events`, { method: 'POST', headers: signedHeaders(FALLBACK, body), body })
  t.equal(res.status, 202)
  const { id } = (await res.json()) as { id: string }
  const applied = await eventually(async () => {
    const r = (await (await fetch(`${standby.url}/v1/events/${id}`)).json()) as { status: string; commit?: string }
    return r.status === 'applied' ? r : undefined
  }, 60_000, 'the event to be applied by the leader')
  t.equal(commits(bare).filter((c) => c.events.includes(id)).length, 1)
  t.equal(applied.commit, commits(bare)[0]!.sha)
  for (const r of replicas) t.equal(await r.stop(), 0)
})
