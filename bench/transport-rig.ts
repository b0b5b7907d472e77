import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { spawnServer, type ChildServer } from '../test/helpers/child-server.js'
import { startGitServer, type GitServer, type RequestInfo } from '../test/helpers/git-server.js'
import { SECRET, sign, TOKEN } from './harness.js'

const execFileP = promisify(execFile)

export type Transport = 'builtin' | 'cli'

/** One infra-sync process on its own branch of the shared remote. */
export interface Lane {
  readonly transport: Transport
  readonly branch: string
  readonly server: ChildServer
}

/** What the remote saw while one event was in flight. */
export interface EventTrace {
  /** POST sent → the lane's branch moved on the remote. */
  readonly total: number
  /** POST sent → the push's receive-pack request reached the remote: infra-sync's own share (fetches and ref advertisements included). */
  readonly own: number
  /** receive-pack request start → branch moved: the remote's share. */
  readonly remote: number
  readonly requests: Readonly<Record<'info-refs' | 'upload-pack' | 'receive-pack', number>>
}

/**
 * One remote (git http-backend over one bare repo) shared by one infra-sync
 * process per transport, each on its own branch of that repo, so that the
 * processes never race each other's pushes yet hit the same server, the same
 * objects and the same ref advertisement. Events are sent one at a time.
 */
export class TransportRig {
  private readonly waiters = new Map<string, ((t: number) => void)[]>()
  private readonly receiveStarts: number[] = []
  private watcher: fs.FSWatcher | undefined

  private constructor(
    readonly git: GitServer,
    readonly bare: string,
    readonly lanes: Lane[],
  ) {}

  static async start(bare: string, dataDir: string, transports: readonly Transport[]): Promise<TransportRig> {
    // Every lane starts from the same commit.
    for (const t of transports) if (t !== 'builtin') await execFileP('git', ['-C', bare, 'branch', '-f', `bench-${t}`, 'main'])
    const git = await startGitServer(bare, { token: TOKEN })
    const rig = new TransportRig(git, bare, [])
    git.hooks = {
      before: (req) => {
        if (req.service === 'receive-pack') rig.receiveStarts.push(performance.now())
      },
    }
    rig.watcher = fs.watch(path.join(bare, 'refs', 'heads'), (_event, name) => {
      const list = name ? rig.waiters.get(name) : undefined
      if (!list || !fs.existsSync(path.join(bare, 'refs', 'heads', name!))) return
      const t = performance.now()
      for (const w of list.splice(0)) w(t)
    })
    try {
      for (const transport of transports) {
        const branch = transport === 'builtin' ? 'main' : `bench-${transport}`
        const dir = path.join(dataDir, transport)
        fs.mkdirSync(dir, { recursive: true })
        const server = await spawnServer(dir, {
          INFRA_SYNC_REPO: git.url,
          INFRA_SYNC_BRANCH: branch,
          INFRA_SYNC_GIT_TRANSPORT: transport,
          INFRA_SYNC_GIT_TOKEN: TOKEN,
          INFRA_SYNC_SECRET: SECRET,
          INFRA_SYNC_DATA: path.join(dir, 'data'),
          LOG_LEVEL: 'info',
        })
        rig.lanes.push({ transport, branch, server })
      }
    } catch (e) {
      await rig.stop()
      throw e
    }
    return rig
  }

  private landing(branch: string): Promise<number> {
    return new Promise((r) => {
      const list = this.waiters.get(branch) ?? []
      list.push(r)
      this.waiters.set(branch, list)
    })
  }

  /** Posts one event to `lane`, waits until it is applied, and keeps the remote packed before the next one. */
  async event(lane: Lane, body: string): Promise<EventTrace> {
    const landed = this.landing(lane.branch)
    const fromRequest = this.git.requests.length
    this.receiveStarts.length = 0
    const delivery = `t-${Date.now()}-${Math.random().toString(36).slice(2)}`
    const t0 = performance.now()
    const res = await fetch(`${lane.server.url}/v1/events`, { method: 'POST', headers: sign(body, delivery), body })
    if (res.status !== 202) throw new Error(`POST to the ${lane.transport} lane answered ${res.status}`)
    const { id } = (await res.json()) as { id: string }
    const t = await landed
    const status = await this.settled(lane, id)
    if (status !== 'applied') throw new Error(`event ${id} on the ${lane.transport} lane: ${status}`)
    const pushStart = this.receiveStarts.filter((s) => s <= t).at(-1) ?? t
    const seen: RequestInfo[] = this.git.requests.slice(fromRequest)
    const count = (s: RequestInfo['service']) => seen.filter((r) => r.service === s).length
    // As a hosted server would: pushes leave loose objects; packed here, between events, never during one.
    await execFileP('git', ['-C', this.bare, 'repack', '-d', '-q'])
    return { total: t - t0, own: pushStart - t0, remote: t - pushStart, requests: { 'info-refs': count('info-refs'), 'upload-pack': count('upload-pack'), 'receive-pack': count('receive-pack') } }
  }

  private async settled(lane: Lane, id: string): Promise<string> {
    const end = performance.now() + 120_000
    for (;;) {
      const s = (await (await fetch(`${lane.server.url}/v1/events/${id}`)).json()) as { status: string }
      if (s.status !== 'queued' && s.status !== 'failed') return s.status
      if (performance.now() > end) throw new Error(`event ${id} still ${s.status}`)
      await new Promise((r) => setTimeout(r, 5))
    }
  }

  async stop(): Promise<void> {
    this.watcher?.close()
    await Promise.all(this.lanes.map((l) => l.server.stop()))
    await this.git.close()
  }
}
