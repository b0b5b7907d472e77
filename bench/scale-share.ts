import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { spawnServer, type ChildServer } from '../test/helpers/child-server.js'
import { startGitServer, type GitServer } from '../test/helpers/git-server.js'
import { generateInfraRepo, serviceImage, serviceName } from './generate-repo.js'
import { eventBody, SECRET, sign, TOKEN } from './harness.js'
import { median, ms, percentile } from './stats.js'

const execFileP = promisify(execFile)

/**
 * infra-sync's own share of event → commit, per event and paired: for each
 * event, POST sent → branch moved on the remote, less the part of that
 * window the remote spent in that same push's receive-pack. Two repos (10
 * and 10,000 service folders), one remote and one infra-sync process each,
 * events alternating between them one at a time, so that the machine's load
 * falls on both alike. `npm run bench -- --only scale`.
 */
export interface ShareTrace {
  /** POST sent → branch moved. */
  readonly total: number
  /** The push's receive-pack request, start → end (after the branch moved: git may go on with gc --auto). */
  readonly receivePack: number
  /** total less the overlap of [receive-pack start, end] with [POST, branch moved]. */
  readonly own: number
  /** Phases of the batch as the worker logged them (sync, registry, plan, write, record, push, …). */
  readonly phases: Readonly<Record<string, number>>
}

export interface Quantiles {
  readonly p50: number
  readonly p95: number
}

export interface ShareAtSize {
  readonly services: number
  readonly n: number
  readonly total: Quantiles
  readonly receivePack: Quantiles
  readonly own: Quantiles
  /** Median of each logged phase. */
  readonly phases: Readonly<Record<string, number>>
}

export interface ScaleShareResult {
  readonly sizes: readonly ShareAtSize[]
  readonly warmup: number
  readonly load: { readonly before: number; readonly after: number; readonly cores: number }
  readonly started: string
}

export interface ScaleShareSize {
  readonly sizes: readonly number[]
  readonly warmup: number
  readonly events: number
}

/** One remote and one infra-sync process on a generated repo of `services` folders. */
class ShareLane {
  private readonly starts: number[] = []
  private readonly ends: number[] = []
  private waiters: ((t: number) => void)[] = []
  private watcher: fs.FSWatcher | undefined
  private seen = 0

  private constructor(
    readonly services: number,
    readonly bare: string,
    readonly git: GitServer,
    readonly server: ChildServer,
  ) {}

  static async start(work: string, services: number, nodeArgs: string[]): Promise<ShareLane> {
    const bare = await generateInfraRepo(path.join(work, `share-${services}`), services)
    const git = await startGitServer(bare, { token: TOKEN })
    const dir = path.join(work, `share-${services}-rig`)
    fs.mkdirSync(dir, { recursive: true })
    let server: ChildServer
    try {
      server = await spawnServer(dir, { INFRA_SYNC_REPO: git.url, INFRA_SYNC_GIT_TOKEN: TOKEN, INFRA_SYNC_SECRET: SECRET, INFRA_SYNC_DATA: path.join(dir, 'data'), LOG_LEVEL: 'info' }, nodeArgs)
    } catch (e) {
      await git.close()
      throw e
    }
    const lane = new ShareLane(services, bare, git, server)
    git.hooks = {
      before: (req) => {
        if (req.service === 'receive-pack') lane.starts.push(performance.now())
      },
      after: (req) => {
        if (req.service === 'receive-pack') lane.ends.push(performance.now())
      },
    }
    lane.watcher = fs.watch(path.join(bare, 'refs', 'heads'), (_event, name) => {
      if (name !== 'main' || !fs.existsSync(path.join(bare, 'refs', 'heads', 'main'))) return
      const t = performance.now()
      for (const w of lane.waiters.splice(0)) w(t)
    })
    return lane
  }

  /** One event for service i, waited for until applied; the remote is repacked afterwards, never during one. */
  async event(i: number, tag: string, builtAt: Date): Promise<ShareTrace> {
    const landed = new Promise<number>((r) => this.waiters.push(r))
    this.starts.length = 0
    this.ends.length = 0
    const body = eventBody(serviceName(i), serviceImage(i), tag, builtAt)
    const delivery = `s-${Date.now()}-${Math.random().toString(36).slice(2)}`
    const t0 = performance.now()
    const res = await fetch(`${this.server.url}/v1/events`, { method: 'POST', headers: sign(body, delivery), body })
    if (res.status !== 202) throw new Error(`POST (${this.services} folders) answered ${res.status}`)
    const { id } = (await res.json()) as { id: string }
    const t = await landed
    const status = await this.settled(id)
    if (status !== 'applied') throw new Error(`event ${id} (${this.services} folders): ${status}`)
    // The receive-pack that moved the branch: the last to start before it moved.
    const k = this.starts.findLastIndex((s) => s <= t)
    if (k < 0 || this.ends[k] === undefined) throw new Error(`no receive-pack seen for event ${id}`)
    const start = this.starts[k]!
    const end = this.ends[k]!
    const overlap = Math.max(0, Math.min(end, t) - Math.max(start, t0))
    await execFileP('git', ['-C', this.bare, 'repack', '-d', '-q'])
    return { total: t - t0, receivePack: end - start, own: t - t0 - overlap, phases: this.phases() }
  }

  /** The phase timings of the newest commit log line (the worker logs `ms` per batch). */
  private phases(): Record<string, number> {
    const lines = this.server.output().slice(this.seen).split('\n')
    this.seen = this.server.output().length
    for (const line of lines.reverse()) {
      if (!line.includes('"commit"') || !line.includes('"ms"')) continue
      try {
        return (JSON.parse(line) as { ms?: Record<string, number> }).ms ?? {}
      } catch {
        continue
      }
    }
    return {}
  }

  private async settled(id: string): Promise<string> {
    const end = performance.now() + 120_000
    for (;;) {
      const s = (await (await fetch(`${this.server.url}/v1/events/${id}`)).json()) as { status: string }
      if (s.status !== 'queued' && s.status !== 'failed') return s.status
      if (performance.now() > end) throw new Error(`event ${id} still ${s.status}`)
      await new Promise((r) => setTimeout(r, 5))
    }
  }

  async stop(): Promise<void> {
    this.watcher?.close()
    await this.server.stop()
    await this.git.close()
  }
}

const q = (v: readonly number[]): Quantiles => ({ p50: median(v), p95: percentile(v, 95) })

function summarise(services: number, traces: readonly ShareTrace[]): ShareAtSize {
  const names = [...new Set(traces.flatMap((t) => Object.keys(t.phases)))]
  const phases = Object.fromEntries(names.map((n) => [n, median(traces.map((t) => t.phases[n] ?? 0))]))
  return { services, n: traces.length, total: q(traces.map((t) => t.total)), receivePack: q(traces.map((t) => t.receivePack)), own: q(traces.map((t) => t.own)), phases }
}

let tagSeq = 1
let clock = 0

/** `nodeArgs`: for the infra-sync processes (`--cpu-prof` when profiling). */
export async function scaleShare(work: string, size: ScaleShareSize, log: (s: string) => void, nodeArgs: string[] = []): Promise<ScaleShareResult> {
  const started = new Date().toISOString()
  const before = os.loadavg()[0]!
  const lanes: ShareLane[] = []
  try {
    for (const n of size.sizes) {
      log(`scale share: generating ${n} service folders, starting infra-sync`)
      lanes.push(await ShareLane.start(work, n, nodeArgs))
    }
    const traces = new Map<number, ShareTrace[]>(lanes.map((l) => [l.services, []]))
    for (let k = 0; k < size.warmup + size.events; k++) {
      // Which size goes first alternates, so neither always follows the other's push.
      for (const lane of k % 2 === 0 ? lanes : [...lanes].reverse()) {
        clock = Math.max(clock + 1, Date.now())
        const trace = await lane.event((k * 7919) % lane.services, `share-${tagSeq++}`, new Date(clock))
        if (k >= size.warmup) traces.get(lane.services)!.push(trace)
      }
    }
    const sizes = lanes.map((l) => summarise(l.services, traces.get(l.services)!))
    for (const s of sizes) log(`  ${s.services} folders: own share p50 ${s.own.p50.toFixed(1)} ms, p95 ${s.own.p95.toFixed(1)} ms (POST → commit p50 ${s.total.p50.toFixed(1)} ms)`)
    return { sizes, warmup: size.warmup, load: { before, after: os.loadavg()[0]!, cores: os.cpus().length }, started }
  } finally {
    for (const l of lanes) await l.stop()
  }
}

export function scaleShareSection(r: ScaleShareResult): string {
  const lines = [
    "## infra-sync's own share per event, 10 vs 10,000 service folders",
    '',
    `Per event and paired: each event's POST → branch moved on the remote, less the part of that window the remote spent in that same push's receive-pack (its request's start to its end, git http-backend). One remote and one infra-sync process (\`node dist/cli.js serve\`, SQLite) per repo, events alternating between the repos one at a time, ${r.warmup} per repo first as warm-up (the first clone among them), the remote repacked between events, never during one. Load average ${r.load.before.toFixed(1)} at the start, ${r.load.after.toFixed(1)} at the end, on ${r.load.cores} cores (${r.started}).`,
    '',
    '| service folders | events | own share p50 | p95 | POST → commit p50 | p95 | receive-pack p50 | worker phases, median (ms) |',
    '|---|---|---|---|---|---|---|---|',
    ...r.sizes.map((s) => `| ${s.services.toLocaleString('en')} | ${s.n} | ${ms(s.own.p50)} | ${ms(s.own.p95)} | ${ms(s.total.p50)} | ${ms(s.total.p95)} | ${ms(s.receivePack.p50)} | ${Object.entries(s.phases).map(([k, v]) => `${k} ${v}`).join(', ')} |`),
  ]
  const small = r.sizes[0]
  const large = r.sizes.at(-1)
  if (small && large && small !== large) {
    const ratio = large.own.p50 / small.own.p50
    lines.push('', `Own share at ${large.services.toLocaleString('en')} / at ${small.services.toLocaleString('en')} folders: ${ratio.toFixed(2)}× at the median, ${(large.own.p95 / small.own.p95).toFixed(2)}× at p95 (target ≤ 2× at the median: ${ratio <= 2 ? 'met' : 'missed'}).`)
  }
  return lines.join('\n')
}
