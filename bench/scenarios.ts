import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { eventBody, Rig, SECRET } from './harness.js'

const execFileP = promisify(execFile)
import { serviceImage, serviceName } from './generate-repo.js'
import { bucketQuantile, median, percentile } from './stats.js'

let tagSeq = 1
const nextTag = () => `main-${tagSeq++}`
// Built now, as CI does, and each after the last: a build made before the commit that set a value (an
// earlier rig's, on the same remote with another store) does not replace it.
let clock = 0
const nextBuiltAt = () => new Date((clock = Math.max(clock + 1, Date.now())))

/** One event for service i, then wait until it is applied; returns ms from sending to the push landing, and from the 202. */
export async function oneEvent(rig: Rig, i: number): Promise<{ total: number; from202: number }> {
  const landing = rig.nextLanding()
  const t0 = performance.now()
  const { id, status } = await rig.post(eventBody(serviceName(i), serviceImage(i), nextTag(), nextBuiltAt()))
  const t202 = performance.now()
  if (status !== 202) throw new Error(`POST answered ${status}`)
  const landed = await landing
  const s = await rig.waitSettled(id)
  if (s.status !== 'applied') throw new Error(`event ${id} ${s.status}`)
  return { total: landed - t0, from202: landed - t202 }
}

export interface LatencyResult {
  readonly n: number
  readonly p50: number
  readonly p99: number
  /** The remote's own receive-pack time, p50: the part no client can avoid. */
  readonly remoteP50: number
  readonly p50From202: number
  readonly p99From202: number
  readonly all: number[]
}

/** Sequential events, each changing one service, on a warm clone. */
export async function latency(rig: Rig, services: number, n: number): Promise<LatencyResult> {
  await oneEvent(rig, 0) // warm: clone, index
  const remoteFrom = rig.remoteMs.length
  const totals: number[] = []
  const from202: number[] = []
  for (let k = 0; k < n; k++) {
    const r = await oneEvent(rig, (k * 7919) % services)
    totals.push(r.total)
    from202.push(r.from202)
  }
  return { n, p50: median(totals), p99: percentile(totals, 99), remoteP50: median(rig.remoteMs.slice(remoteFrom)), p50From202: median(from202), p99From202: percentile(from202, 99), all: totals }
}

export interface IntakeResult {
  readonly rate: number
  readonly connections: number
  readonly requests: number
  readonly p50: number
  readonly p99: number
  readonly errors: number
  readonly non2xx: number
  readonly achievedRate: number
  /** The server's own timing, from its histogram. */
  readonly serverP50: number
  readonly serverP99: number
}

/**
 * POST /v1/events at a fixed offered rate with autocannon, run in its own
 * process; every request a new signed event for a real service. One
 * connection per 100 req/s, so that each connection can keep its share of the
 * rate. Alongside, the server's own timing of the same requests (its
 * /metrics histogram), which no load generator's pacing can colour.
 */
export async function intake(rig: Rig, services: number, rate: number, seconds: number): Promise<IntakeResult> {
  const connections = Math.max(1, Math.ceil(rate / 100))
  const before = await rig.intakeBuckets()
  const { stdout } = await execFileP(process.execPath, [path.join(import.meta.dirname, 'intake-load.mjs'), `${rig.server.url}/v1/events`, String(rate), String(seconds), String(connections), String(services), String(tagSeq), SECRET], { maxBuffer: 1024 * 1024 })
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as { requests: number; p50: number; p99: number; errors: number; non2xx: number; achievedRate: number; tags: number }
  tagSeq = r.tags + 1
  const after = await rig.intakeBuckets()
  return { rate, connections, requests: r.requests, p50: r.p50, p99: r.p99, errors: r.errors, non2xx: r.non2xx, achievedRate: r.achievedRate, serverP50: bucketQuantile(before, after, 0.5), serverP99: bucketQuantile(before, after, 0.99) }
}

export interface BurstResult {
  readonly events: number
  readonly services: number
  readonly seconds: number
  readonly commits: number
  readonly applied: number
  readonly superseded: number
  readonly lost: number
  readonly duplicated: number
  readonly wrongFinal: number
  readonly peakRss: number
}

/** `events` events for `services` services sent at once; checked afterwards from the remote's history. */
export async function burst(rig: Rig, services: number, events: number, concurrency = 64): Promise<BurstResult> {
  const before = Number(execFileSync('git', ['-C', rig.bare, 'rev-list', '--count', 'main'], { encoding: 'utf8' }).trim())
  const finishedBefore = await rig.finished()
  const plan = Array.from({ length: events }, (_, k) => ({ i: k % services, tag: nextTag(), builtAt: nextBuiltAt() }))
  const lastTag = new Map<number, string>()
  for (const p of plan) lastTag.set(p.i, p.tag)
  const ids: string[] = []
  const t0 = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < plan.length) {
        const p = plan[next++]!
        const r = await rig.post(eventBody(serviceName(p.i), serviceImage(p.i), p.tag, p.builtAt))
        if (r.status !== 202) throw new Error(`POST answered ${r.status}`)
        ids.push(r.id)
      }
    }),
  )
  while ((await rig.finished()) - finishedBefore < events) await new Promise((r) => setTimeout(r, 10))
  const seconds = (performance.now() - t0) / 1000

  const log = execFileSync('git', ['-C', rig.bare, 'log', 'main', `-n${Number(execFileSync('git', ['-C', rig.bare, 'rev-list', '--count', 'main'], { encoding: 'utf8' })) - before}`, '--format=%(trailers:key=Infra-Sync-Event,valueonly,separator=%x2C)'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  const trailers = log.split(/[\n,]/).map((s) => s.trim()).filter(Boolean)
  const commits = log.split('\n').filter((l) => l.trim()).length
  const statuses = await Promise.all(ids.map((id) => rig.status(id)))
  const appliedIds = ids.filter((_, k) => statuses[k]!.status === 'applied')
  const superseded = statuses.filter((s) => s.status === 'skipped' && s.targets.every((x) => x.code === 'superseded')).length
  const counts = new Map<string, number>()
  for (const t of trailers) counts.set(t, (counts.get(t) ?? 0) + 1)
  // Lost: applied but not in the remote's history, or never settled. A build that arrived after a newer one is skipped as older, by design.
  const lost = appliedIds.filter((id) => !counts.has(id)).length + statuses.filter((s) => !['applied', 'skipped'].includes(s.status)).length
  const duplicated = [...counts.values()].filter((c) => c > 1).length
  let wrongFinal = 0
  for (const [i, tag] of lastTag) {
    const file = execFileSync('git', ['-C', rig.bare, 'show', `main:services/${serviceName(i)}/overlays/dev/kustomization.yaml`], { encoding: 'utf8' })
    if (!file.includes(`newTag: ${tag}\n`)) wrongFinal++
  }
  return { events, services, seconds, commits, applied: appliedIds.length, superseded, lost, duplicated, wrongFinal, peakRss: rig.peakRss() }
}

export interface ScaleResult {
  readonly services: number
  readonly files: number
  readonly coldStart: number
  readonly firstEvent: number
  readonly p50: number
  readonly p99: number
  readonly remoteP50: number
  readonly peakRss: number
}

export async function scale(bare: string, dataDir: string, services: number, n: number): Promise<ScaleResult> {
  const rig = await Rig.start(bare, dataDir)
  try {
    const first = await oneEvent(rig, services - 1)
    const coldStart = rig.landed[rig.landed.length - 1]! - rig.spawnedAt
    const lat = await latency(rig, services, n)
    const files = Number(execFileSync('git', ['-C', bare, 'ls-tree', '-r', '--name-only', 'HEAD~0'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\n').length - 1)
    return { services, files, coldStart, firstEvent: first.total, p50: lat.p50, p99: lat.p99, remoteP50: lat.remoteP50, peakRss: rig.peakRss() }
  } finally {
    await rig.stop()
  }
}

/** 20 events for 20 services posted at the same moment: how many fail? */
export async function concurrentOurs(rig: Rig, services: number, n: number): Promise<{ n: number; failed: number; seconds: number }> {
  const t0 = performance.now()
  const posted = await Promise.all(Array.from({ length: n }, (_, k) => rig.post(eventBody(serviceName(k % services), serviceImage(k % services), nextTag(), nextBuiltAt()))))
  const results = await Promise.all(posted.map((p) => rig.waitSettled(p.id)))
  return { n, failed: results.filter((r) => r.status !== 'applied').length, seconds: (performance.now() - t0) / 1000 }
}

export const join = path.join
