import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { spawnServer, type ChildServer } from '../helpers/child-server.js'
import { commits, git } from '../helpers/git-cli.js'
import { FALLBACK, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir, writeTree } from '../helpers/tmp.js'

/**
 * kill -9 while infra-sync holds the embedded repository's `main.lock`
 * (between taking the lock and renaming it over the ref). The restarted
 * process finds the lock its dead predecessor left, removes it (and says so),
 * and every event is applied soon after, exactly once. Before, the lock
 * counted as stale only after a minute, and the refused pushes opened the
 * remote's circuit on top.
 */
const SERVICES = [1, 2, 3, 4, 5].map((n) => `svc-${n}`)

/** The embedded default's repository (./data/infra), here with five services so that each event has its own change. */
function seedInfra(dir: string): string {
  const work = path.join(dir, 'seed-work')
  const files: Record<string, string> = {}
  for (const s of SERVICES) {
    files[`services/${s}/infra-sync.yaml`] = `source: acme/${s}\nimage: ghcr.io/acme/${s}\npolicy: semver\n`
    files[`services/${s}/overlays/dev/kustomization.yaml`] = `images:\n  - name: ghcr.io/acme/${s}\n    newTag: 1.0.0\n`
  }
  fs.mkdirSync(work, { recursive: true })
  git(work, 'init', '-q', '-b', 'main')
  writeTree(work, files)
  git(work, 'add', '-A')
  git(work, 'commit', '-q', '-m', 'seed')
  const infra = path.join(dir, 'data', 'infra')
  git(dir, 'clone', '-q', '--bare', work, infra)
  return infra
}

t.test('a lock left by a killed infra-sync is cleared on restart; every event applied once, soon', async (t) => {
  const dir = tmpDir(t)
  const infra = seedInfra(dir)
  const env = { INFRA_SYNC_SECRET: FALLBACK }
  let child: ChildServer = await spawnServer(dir, { ...env, INFRA_SYNC_FAILPOINT: 'ref-locked' })
  t.teardown(() => child.proc.kill('SIGKILL'))
  const exited = new Promise<NodeJS.Signals | null>((r) => child.proc.on('exit', (_code, signal) => r(signal)))

  const send = (url: string, s: string) => {
    const body = JSON.stringify({ source: `acme/${s}`, image: `ghcr.io/acme/${s}`, tag: '1.0.1', ref: 'refs/heads/main' })
    return fetch(`${url}/v1/events`, { method: 'POST', headers: signedHeaders(FALLBACK, body, { id: `ci-${s}` }), body })
  }
  // All at once, as five CI jobs finishing together; the first push kills the process, so some may get no answer.
  const first = await Promise.allSettled(SERVICES.map((s) => send(child.url, s)))
  t.ok(first.some((r) => r.status === 'fulfilled' && r.value.status === 202), 'events were accepted before the crash')
  t.equal(await exited, 'SIGKILL')
  t.match(child.output(), /failpoint ref-locked reached/)
  t.ok(fs.existsSync(path.join(infra, 'refs', 'heads', 'main.lock')), 'the killed process left main.lock behind')
  const seed = git(infra, 'rev-parse', 'main').trim()

  child = await spawnServer(dir, env)
  // The CIs that heard nothing send again with the same delivery id; the others' events are already stored.
  const ids: string[] = []
  for (const s of SERVICES) {
    const res = await send(child.url, s)
    t.ok(res.status === 200 || res.status === 202, `${s} answered ${res.status}`)
    ids.push(((await res.json()) as { id: string }).id)
  }
  // An outcome bound with generous slack, not a timing assertion: before, this stayed `failed` for over a minute.
  for (const id of ids) {
    await eventually(async () => {
      const r = (await (await fetch(`${child.url}/v1/events/${id}`)).json()) as { status: string }
      return r.status === 'applied' ? r : undefined
    }, 30_000, `event ${id} to be applied after the restart`)
  }
  const log = commits(infra)
  for (const id of ids) t.equal(log.filter((c) => c.events.includes(id)).length, 1, `one commit carries ${id}`)
  t.equal(git(infra, 'rev-list', '--count', `${seed}..main`).trim(), String(log.length - 1), 'every commit after the seed is a deploy')
  for (const s of SERVICES) t.match(git(infra, 'show', `main:services/${s}/overlays/dev/kustomization.yaml`), /newTag: 1\.0\.1\n/)
  t.notOk(fs.existsSync(path.join(infra, 'refs', 'heads', 'main.lock')), 'the stale lock is gone')
  t.match(child.output(), /removed a stale lock on main \(its owner is gone\)/, 'and the log says so')
  const metrics = await (await fetch(`${child.url}/metrics`)).text()
  t.match(metrics, /infra_sync_remote_circuit_open 0/, 'lock contention never opened the circuit')
  git(infra, 'fsck', '--strict')
  t.equal(await child.stop(), 0)
})
