import type { RepoConfig } from '../config/config.js'
import type { ServicesReply } from './messages.js'
import type { WorkerHost } from './worker-host.js'

/** One infra repo's worker host, with the repo it serves. */
export interface RepoWorker {
  readonly repo: RepoConfig
  readonly host: WorkerHost
}

/** The repos' part of /readyz. */
export interface ReposReadiness {
  readonly ready: boolean
  readonly degraded: boolean
  readonly checks: Record<string, string>
  /** One repo: `worker: { leader }` as before; several: per repo under `repos`. */
  readonly body: Record<string, unknown>
}

/**
 * The worker hosts of every infra repo the deployment serves, one each. One
 * repo behaves as a single worker always has. With several, a repo that is
 * down must not stop the others: the replica is ready while any repo is
 * (the intake keeps every repo's events in the store either way), and the
 * repos that are not ready make it `degraded`, named in `checks`.
 */
export class RepoWorkers {
  constructor(readonly workers: readonly RepoWorker[]) {}

  get first(): WorkerHost {
    return this.workers[0]!.host
  }

  async start(): Promise<void> {
    const started: WorkerHost[] = []
    try {
      for (const w of this.workers) {
        await w.host.start()
        started.push(w.host)
      }
    } catch (e) {
      await Promise.all(started.map((h) => h.stop()))
      throw e
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.host.stop()))
  }

  /** New events: every repo's worker looks (each decides whether the image is one of its services). */
  wake(): void {
    for (const w of this.workers) w.host.wake()
  }

  /** The worker of the repo at `location` and `branch`, if this deployment serves it. */
  byRepo(location: string, branch: string): WorkerHost | undefined {
    return this.workers.find((w) => w.repo.location === location && w.repo.branch === branch)?.host
  }

  /** Every repo's answer to `services`, each with its `repos:` name when there are several (null: its thread is not running). */
  services(service?: string): Promise<{ readonly repo?: string; readonly reply: ServicesReply | null }[]> {
    const several = this.workers.length > 1
    return Promise.all(this.workers.map(async (w) => ({ ...(several && { repo: w.repo.name ?? w.repo.location }), reply: await w.host.services(service) })))
  }

  readiness(): ReposReadiness {
    if (this.workers.length === 1) {
      const r = this.first.repoReadiness()
      return { ready: r.ready, degraded: r.degraded, checks: { repo: r.check }, body: r.leader !== undefined ? { worker: { leader: r.leader } } : {} }
    }
    const each = this.workers.map((w) => ({ name: w.repo.name ?? w.repo.location, ...w.host.repoReadiness() }))
    return {
      ready: each.some((r) => r.ready),
      degraded: each.some((r) => !r.ready || r.degraded),
      checks: Object.fromEntries(each.map((r) => [`repo:${r.name}`, r.check])),
      body: { repos: Object.fromEntries(each.map((r) => [r.name, { ready: r.ready, ...(r.leader !== undefined && { leader: r.leader }) }])) },
    }
  }
}
