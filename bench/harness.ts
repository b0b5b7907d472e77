import { execFile } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { promisify } from 'node:util'
import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { spawnServer, type ChildServer } from '../test/helpers/child-server.js'
import { startGitServer, type GitServer } from '../test/helpers/git-server.js'
import { peakRss } from './stats.js'

const execFileP = promisify(execFile)

export const SECRET = 'bench-fallback-secret-0123456789abcdef'
export const TOKEN = 'bench-token-0123456789abcdef'

export function sign(body: string, id: string): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000)
  const sig = createHmac('sha256', SECRET).update(`${id}.${ts}.${body}`).digest('base64')
  return { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` }
}

let seq = 0
export function eventBody(service: string, image: string, tag: string, builtAt = new Date()): string {
  return JSON.stringify({ source: `acme/${service}`, image, tag, ref: 'refs/heads/main', builtAt: builtAt.toISOString(), commit: (++seq).toString(16).padStart(40, '0') })
}

/** A remote (git http-backend) plus an infra-sync process (node dist/cli.js serve) pointed at it. */
export class Rig {
  readonly landed: number[] = []
  /** Milliseconds the remote spent on each receive-pack (git http-backend, start to end). */
  readonly remoteMs: number[] = []
  readonly pushStarted = new Map<object, number>()
  watcher: fs.FSWatcher | undefined
  private waiters: ((t: number) => void)[] = []
  private constructor(
    readonly git: GitServer,
    readonly server: ChildServer,
    readonly bare: string,
    readonly spawnedAt: number,
  ) {}

  static async start(bare: string, dataDir: string, extraEnv: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Rig> {
    const git = await startGitServer(bare, { token: TOKEN })
    fs.mkdirSync(dataDir, { recursive: true })
    const spawnedAt = performance.now()
    const server = await spawnServer(dataDir, {
      INFRA_SYNC_REPO: git.url,
      INFRA_SYNC_GIT_TOKEN: TOKEN,
      INFRA_SYNC_SECRET: SECRET,
      INFRA_SYNC_DATA: path.join(dataDir, 'data'),
      LOG_LEVEL: 'info',
      ...extraEnv,
    }, nodeArgs)
    const rig = new Rig(git, server, bare, spawnedAt)
    // The remote's own time for each push, from its HTTP front: what any client would wait for.
    git.hooks = {
      before: (req) => {
        if (req.service === 'receive-pack') rig.pushStarted.set(req, performance.now())
      },
      after: (req) => {
        const t0 = rig.pushStarted.get(req)
        if (t0 !== undefined) rig.remoteMs.push(performance.now() - t0)
        rig.pushStarted.delete(req)
        if (req.service === 'receive-pack') rig.maintain()
      },
    }
    // "On the remote" is the moment the branch ref is renamed into place by git receive-pack
    // (inotify on refs/heads), not when the HTTP exchange ends: git goes on with gc --auto after it.
    const watcher = fs.watch(path.join(bare, 'refs', 'heads'), (_event, name) => {
      if (name !== 'main' || !fs.existsSync(path.join(bare, 'refs', 'heads', 'main'))) return
      const t = performance.now()
      rig.landed.push(t)
      for (const w of rig.waiters.splice(0)) w(t)
    })
    rig.watcher = watcher
    return rig
  }

  private maintaining: Promise<void> | undefined
  private dirty = false
  private repacks = 0

  /**
   * Keeps the remote packed, in the background, the way a hosted git server
   * does: without it every push leaves loose objects behind and each later
   * shallow clone (the CI-script baseline) and push gets slower, which says
   * more about an unmaintained test server than about either client.
   */
  maintain(): void {
    if (this.maintaining) {
      this.dirty = true
      return
    }
    const full = ++this.repacks % 20 === 0
    this.maintaining = execFileP('git', ['-C', this.bare, 'repack', '-d', '-q', ...(full ? ['-a'] : [])])
      .then(() => undefined, () => undefined)
      .finally(() => {
        this.maintaining = undefined
        if (this.dirty) {
          this.dirty = false
          this.maintain()
        }
      })
  }

  /** Resolves at the moment the next push has moved the remote branch. */
  nextLanding(): Promise<number> {
    return new Promise((r) => this.waiters.push(r))
  }

  async post(body: string, id = `b-${Date.now()}-${Math.random().toString(36).slice(2)}`): Promise<{ id: string; status: number }> {
    const res = await fetch(`${this.server.url}/v1/events`, { method: 'POST', headers: sign(body, id), body })
    const json = (await res.json()) as { id: string }
    return { id: json.id, status: res.status }
  }

  async status(id: string): Promise<{ status: string; commit?: string; targets: { code: string }[] }> {
    return (await (await fetch(`${this.server.url}/v1/events/${id}`)).json()) as never
  }

  async waitSettled(id: string, timeoutMs = 120_000): Promise<{ status: string; commit?: string }> {
    const end = performance.now() + timeoutMs
    for (;;) {
      const s = await this.status(id)
      if (s.status !== 'queued' && s.status !== 'failed') return s
      if (performance.now() > end) throw new Error(`event ${id} still ${s.status}`)
      await new Promise((r) => setTimeout(r, 5))
    }
  }

  /** Sum of events that reached a final status, from /metrics. */
  async finished(): Promise<number> {
    const text = await (await fetch(`${this.server.url}/metrics`)).text()
    let n = 0
    for (const m of text.matchAll(/^infra_sync_events_finished_total\{status="(applied|skipped|rejected)"\} (\d+)/gm)) n += Number(m[2])
    return n
  }

  /** Cumulative bucket counts of the server's own timing of accepted POST /v1/events (from /metrics). */
  async intakeBuckets(): Promise<Map<number, number>> {
    const text = await (await fetch(`${this.server.url}/metrics`)).text()
    const out = new Map<number, number>()
    for (const m of text.matchAll(/^infra_sync_http_request_duration_seconds_bucket\{([^}]*)\} (\d+)/gm)) {
      const labels = m[1]!
      if (!labels.includes('route="/v1/events"') || !labels.includes('status="202"') || !labels.includes('method="POST"')) continue
      const le = /le="([^"]+)"/.exec(labels)![1]!
      out.set(le === '+Inf' ? Infinity : Number(le), Number(m[2]))
    }
    return out
  }

  peakRss(): number {
    return peakRss(this.server.proc.pid!)
  }

  async stop(): Promise<void> {
    this.watcher?.close()
    await this.maintaining
    await this.server.stop()
    await this.git.close()
  }
}
