import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import pg from 'pg'
import { spawnServer, type ChildServer } from '../test/helpers/child-server.js'
import { startGitServer, type GitServer } from '../test/helpers/git-server.js'
import { POSTGRES_ADMIN_URL, withDatabase } from '../test/helpers/postgres.js'
import { generateInfraRepo, serviceImage, serviceName } from './generate-repo.js'
import { SECRET, sign, TOKEN } from './harness.js'
import { median, ms } from './stats.js'

const execFileP = promisify(execFile)

/**
 * Several replicas on PostgreSQL beside one process on SQLite, on the same
 * remote and repo: intake under a fixed rate (spread round-robin over the
 * replicas, as a load balancer would), how fast a burst of events reaches a
 * final status, and, on PostgreSQL, failover: the leader killed with SIGKILL
 * while idle, an event sent to a survivor, timed until it is applied.
 */
export interface ReplicasSize {
  readonly services: number
  readonly rate: number
  readonly seconds: number
  readonly burst: number
  readonly failovers: number
}

export interface SetupResult {
  readonly name: string
  readonly replicas: number
  readonly intake: { readonly requests: number; readonly achieved: number; readonly p50: number; readonly p99: number; readonly non2xx: number; readonly errors: number }
  readonly burst: { readonly events: number; readonly seconds: number; readonly perSecond: number }
}

export interface ReplicasResult {
  readonly size: ReplicasSize
  readonly setups: readonly SetupResult[]
  /** Kill of the leader → an event posted right after to a survivor is applied. */
  readonly failoverMs: readonly number[]
  readonly load: readonly [number, number]
}

interface Deployment {
  readonly servers: (ChildServer | undefined)[]
  readonly env: (i: number) => Record<string, string>
}

let tagSeq = 1_000_000

async function intakeRun(d: Deployment, size: ReplicasSize): Promise<SetupResult['intake']> {
  const live = d.servers.filter((s): s is ChildServer => s !== undefined)
  const each = Math.max(1, Math.round(size.rate / live.length))
  // One load generator per replica, in parallel: the rate is shared out as a round-robin balancer would.
  const runs = await Promise.all(
    live.map(async (s, i) => {
      const first = tagSeq + i * 1_000_000
      const { stdout } = await execFileP(process.execPath, [path.join(import.meta.dirname, 'intake-load.mjs'), `${s.url}/v1/events`, String(each), String(size.seconds), String(Math.max(1, Math.ceil(each / 100))), String(size.services), String(first), SECRET], { maxBuffer: 1024 * 1024 })
      return JSON.parse(stdout.trim().split('\n').pop()!) as { requests: number; p50: number; p99: number; errors: number; non2xx: number; achievedRate: number }
    }),
  )
  tagSeq += 10_000_000
  return {
    requests: runs.reduce((a, r) => a + r.requests, 0),
    achieved: runs.reduce((a, r) => a + r.achievedRate, 0),
    p50: Math.max(...runs.map((r) => r.p50)),
    p99: Math.max(...runs.map((r) => r.p99)),
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    errors: runs.reduce((a, r) => a + r.errors, 0),
  }
}

/** Events that reached a final status, summed over the replicas' /metrics. */
async function finished(d: Deployment): Promise<number> {
  let n = 0
  for (const s of d.servers) {
    if (!s) continue
    const text = await (await fetch(`${s.url}/metrics`)).text()
    for (const m of text.matchAll(/^infra_sync_events_finished_total\{status="[a-z]+"\} (\d+)/gm)) n += Number(m[1])
  }
  return n
}

async function burstRun(d: Deployment, size: ReplicasSize): Promise<SetupResult['burst']> {
  const live = d.servers.filter((s): s is ChildServer => s !== undefined)
  const before = await finished(d)
  const t0 = performance.now()
  let next = 0
  const post = async () => {
    for (;;) {
      const k = next++
      if (k >= size.burst) return
      const i = k % size.services
      const body = JSON.stringify({ source: `acme/${serviceName(i)}`, image: serviceImage(i), tag: `main-${tagSeq + k}`, ref: 'refs/heads/main', builtAt: new Date().toISOString() })
      const res = await fetch(`${live[k % live.length]!.url}/v1/events`, { method: 'POST', headers: sign(body, `burst-${tagSeq}-${k}`), body })
      await res.body?.cancel()
    }
  }
  await Promise.all(Array.from({ length: 32 }, post))
  tagSeq += size.burst
  for (;;) {
    if ((await finished(d)) - before >= size.burst) break
    if (performance.now() - t0 > 600_000) throw new Error('the burst did not finish in 10 minutes')
    await new Promise((r) => setTimeout(r, 50))
  }
  const seconds = (performance.now() - t0) / 1000
  return { events: size.burst, seconds, perSecond: size.burst / seconds }
}

async function leaderOf(d: Deployment): Promise<number | undefined> {
  for (const [i, s] of d.servers.entries()) {
    if (!s) continue
    const body = (await fetch(`${s.url}/readyz`).then((r) => r.json(), () => ({}))) as { worker?: { leader?: boolean } }
    if (body.worker?.leader) return i
  }
  return undefined
}

async function failover(d: Deployment, dir: string, service: number): Promise<number> {
  let leader: number | undefined
  for (let tries = 0; leader === undefined && tries < 200; tries++) {
    leader = await leaderOf(d)
    if (leader === undefined) await new Promise((r) => setTimeout(r, 100))
  }
  if (leader === undefined) throw new Error('no leader')
  const survivor = d.servers.find((s, i) => s && i !== leader)!
  const t0 = performance.now()
  await d.servers[leader]!.kill9()
  d.servers[leader] = undefined
  const body = JSON.stringify({ source: `acme/${serviceName(service)}`, image: serviceImage(service), tag: `main-${tagSeq++}`, ref: 'refs/heads/main', builtAt: new Date().toISOString() })
  const { id } = (await (await fetch(`${survivor.url}/v1/events`, { method: 'POST', headers: sign(body, `failover-${tagSeq}`), body })).json()) as { id: string }
  for (;;) {
    const r = (await (await fetch(`${survivor.url}/v1/events/${id}`)).json()) as { status: string }
    if (r.status === 'applied') break
    if (performance.now() - t0 > 120_000) throw new Error(`failover: event still ${r.status} after 2 minutes`)
    await new Promise((r) => setTimeout(r, 20))
  }
  const took = performance.now() - t0
  d.servers[leader] = await spawnServer(dir, d.env(leader))
  return took
}

async function stopAll(d: Deployment): Promise<void> {
  await Promise.all(d.servers.map((s) => s?.stop()))
}

export async function replicas(work: string, size: ReplicasSize, log: (s: string) => void): Promise<ReplicasResult> {
  const load0 = (await import('node:os')).loadavg()[0]!
  const bare = await generateInfraRepo(path.join(work, 'replicas'), size.services)
  const git: GitServer = await startGitServer(bare, { token: TOKEN })
  const base = (dir: string) => ({ INFRA_SYNC_REPO: git.url, INFRA_SYNC_GIT_TOKEN: TOKEN, INFRA_SYNC_SECRET: SECRET, INFRA_SYNC_DATA: dir, LOG_LEVEL: 'info', INFRA_SYNC_RATE_LIMIT: '0' })
  const setups: SetupResult[] = []
  let failoverMs: number[] = []
  try {
    log(`replicas: one process on SQLite, ${size.rate}/s for ${size.seconds} s, then ${size.burst} events at once`)
    const sqliteDir = path.join(work, 'replicas', 'sqlite')
    fs.mkdirSync(sqliteDir, { recursive: true })
    const one: Deployment = { servers: [await spawnServer(sqliteDir, base(path.join(sqliteDir, 'data')))], env: () => base(path.join(sqliteDir, 'data')) }
    setups.push({ name: 'SQLite, one process', replicas: 1, intake: await intakeRun(one, size), burst: await burstRun(one, size) })
    await stopAll(one)

    const db = `infra_sync_bench_${process.pid}`
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL })
    await admin.connect()
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)
    await admin.query(`CREATE DATABASE ${db}`)
    try {
      log(`replicas: three processes on PostgreSQL, the same load`)
      const pgDir = path.join(work, 'replicas', 'pg')
      fs.mkdirSync(pgDir, { recursive: true })
      const env = (i: number) => ({ ...base(path.join(pgDir, `data-${i}`)), INFRA_SYNC_DATABASE_URL: withDatabase(POSTGRES_ADMIN_URL, db) })
      const three: Deployment = { servers: [], env }
      for (let i = 0; i < 3; i++) three.servers.push(await spawnServer(pgDir, env(i)))
      setups.push({ name: 'PostgreSQL, three replicas', replicas: 3, intake: await intakeRun(three, size), burst: await burstRun(three, size) })
      log(`replicas: ${size.failovers} failovers (leader killed with SIGKILL, an event sent to a survivor)`)
      failoverMs = []
      for (let k = 0; k < size.failovers; k++) {
        failoverMs.push(await failover(three, pgDir, k % size.services))
        log(`  failover ${k + 1}: ${ms(failoverMs.at(-1)!)}`)
      }
      await stopAll(three)
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)
      await admin.end()
    }
  } finally {
    await git.close()
  }
  return { size, setups, failoverMs, load: [load0, (await import('node:os')).loadavg()[0]!] }
}

export function replicasSection(r: ReplicasResult): string {
  const lines = [
    '## Replicas on PostgreSQL beside one process on SQLite',
    '',
    `${r.size.services} services, one remote (\`git http-backend\`); each setup takes ${r.size.rate} signed events/s for ${r.size.seconds} s (autocannon, one load generator per replica, the rate shared out round-robin; p50 and p99 are the worst replica's), then a burst of ${r.size.burst} events (32 at a time, round-robin), timed until every one reached a final status (the replicas' /metrics). Rate limit off. Load average ${r.load[0].toFixed(1)} at the start, ${r.load[1].toFixed(1)} at the end, 2 cores.`,
    '',
    '| setup | replicas | intake requests | achieved /s | intake p50 | intake p99 | non-2xx | errors | burst to final | events/s |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.setups.map((s) => `| ${s.name} | ${s.replicas} | ${s.intake.requests} | ${s.intake.achieved.toFixed(0)} | ${ms(s.intake.p50)} | ${ms(s.intake.p99)} | ${s.intake.non2xx} | ${s.intake.errors} | ${s.burst.seconds.toFixed(2)} s | ${s.burst.perSecond.toFixed(0)} |`),
    '',
    `Failover (PostgreSQL, three replicas, lease of 10 s renewed every third): the leader killed with SIGKILL while idle, an event posted to a survivor at once, timed until it is applied: ${r.failoverMs.map((x) => ms(x)).join(', ')} (median ${ms(median(r.failoverMs))}). The target is under 15 s.`,
  ]
  return lines.join('\n')
}
