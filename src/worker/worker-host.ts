import { Worker as Thread } from 'node:worker_threads'
import { InfraSyncError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { Metrics } from '../observability/metrics.js'
import { repoReadiness, type RepoHealth } from './circuit.js'
import type { FromWorker, ServicesReply, ToWorker, WorkerThreadConfig } from './messages.js'

const RESTART_MS = 1000

/**
 * The main thread's handle on the worker thread: starts it, relays its logs
 * and metrics, asks it things, and restarts it if it dies. Events wait in
 * the store meanwhile, so a dead thread loses nothing.
 */
export class WorkerHost {
  private thread: Thread | undefined
  private tickets = 0
  private readonly replies = new Map<number, (v: unknown) => void>()
  private stopping = false
  private stopped: Promise<void> | undefined
  /** The remote's head as the worker last saw or made it. */
  knownHead: string | null | undefined
  private health: RepoHealth = { fetched: false, circuitOpen: false }
  private fetchedOnce = false
  /** Whether the thread holds the repo's lease; undefined until it asked the store. */
  private leader_: boolean | undefined

  /** Whether this replica's worker holds the repo's lease (undefined: not known yet). */
  get leader(): boolean | undefined {
    return this.leader_
  }

  /**
   * The infra repo as readiness sees it. Fetched once stays true for the life
   * of the process, through a restart of the thread.
   */
  get repoHealth(): RepoHealth {
    return { ...this.health, fetched: this.fetchedOnce }
  }

  /**
   * The repo's part of /readyz. A replica whose worker is not the leader is
   * ready whatever its repo (it accepts events; the leader deploys them);
   * the leader, or one that does not know yet, is ready once it fetched.
   */
  repoReadiness(): ReturnType<typeof repoReadiness> & { readonly leader?: boolean } {
    const leader = this.leader_
    if (leader === false) return { ready: true, degraded: false, check: 'standby: another replica holds the repo lease and deploys; this one accepts events', leader }
    return { ...repoReadiness(this.repoHealth), ...(leader !== undefined && { leader }) }
  }

  constructor(
    private readonly config: WorkerThreadConfig,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    /**
     * The thread's entry module and node flags. Tests run the compiled entry
     * without the TypeScript loader they run under, or every thread would
     * load a compiler first.
     */
    private readonly thread_: { readonly entry?: URL; readonly execArgv?: string[] } = {},
  ) {}

  /** Starts the thread; resolves once it has opened the store and the repo, rejects if it could not. */
  start(): Promise<void> {
    this.stopping = false
    this.leader_ = undefined
    const thread = new Thread(this.thread_.entry ?? new URL('./worker-thread.js', import.meta.url), {
      workerData: this.config,
      ...(this.thread_.execArgv && { execArgv: this.thread_.execArgv }),
      // A small young generation: a batch makes a lot of short-lived garbage (parsed YAML), and a
      // large nursery only lets the process grow before it is collected.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    })
    this.thread = thread
    let settled = false
    return new Promise<void>((resolve, reject) => {
      thread.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          settled = true
          this.knownHead = m.head
          resolve()
        } else if (m.type === 'fatal') {
          settled = true
          reject(new InfraSyncError(m.error.code ?? 'WORKER_FAILED', m.error.message))
        } else this.receive(m)
      })
      thread.on('error', (e) => {
        this.log.error({ err: e }, 'the worker thread failed')
        if (!settled) {
          settled = true
          reject(e)
        }
      })
      thread.on('exit', (code) => {
        if (this.thread !== thread) return
        this.thread = undefined
        for (const r of this.replies.values()) r(null)
        this.replies.clear()
        if (!this.stopping && settled) {
          this.log.error({ code }, 'the worker thread stopped; restarting it')
          setTimeout(() => {
            if (!this.stopping) this.start().catch((e) => this.log.error({ err: e }, 'could not restart the worker thread'))
          }, RESTART_MS).unref()
        }
      })
    })
  }

  private receive(m: FromWorker): void {
    switch (m.type) {
      case 'head':
        this.knownHead = m.head
        break
      case 'repo':
        this.health = m.health
        if (m.health.fetched) this.fetchedOnce = true
        break
      case 'leader':
        this.leader_ = m.leader
        break
      case 'log':
        this.log[m.level](m.obj, m.msg)
        break
      case 'metric':
        if (m.name === 'batch') this.metrics.batch(m.arg as number)
        else if (m.name === 'heap') this.metrics.heap(m.arg as number)
        else if (m.name === 'push') this.metrics.push(m.arg as 'ok' | 'rejected' | 'error')
        else if (m.name === 'commit') this.metrics.commit()
        else if (m.name === 'eventToCommit') this.metrics.eventToCommit(m.arg as number)
        else if (m.name === 'circuit') this.metrics.circuit(m.arg === 1)
        else if (m.name === 'forgeRequests') this.metrics.forgeRequests(m.arg as number)
        else this.metrics.finished(m.arg as string)
        break
      case 'reply':
        this.replies.get(m.ticket)?.(m.value)
        this.replies.delete(m.ticket)
        break
      case 'stopped':
        break
    }
  }

  private send(m: ToWorker): void {
    this.thread?.postMessage(m)
  }

  private ask<T>(type: 'idle' | 'example' | 'services', extra: { readonly service?: string } = {}): Promise<T | null> {
    if (!this.thread) return Promise.resolve(null)
    const ticket = ++this.tickets
    return new Promise((resolve) => {
      this.replies.set(ticket, resolve as (v: unknown) => void)
      this.send({ type, ticket, ...extra } as ToWorker)
    })
  }

  /** New work is in the store. */
  wake(): void {
    this.send({ type: 'wake' })
  }

  /** The infra repo's branch moved (a GitHub push webhook): fetch it now. */
  refresh(): void {
    this.send({ type: 'refresh' })
  }

  /** One of infra-sync's pull requests was merged or closed (a GitHub webhook): settle it now. */
  /** Argo CD said an Application changed: its waiting promotions are looked at now. */
  argocd(application: string): void {
    this.send({ type: 'argocd', application })
  }

  pullRequest(number: number): void {
    this.send({ type: 'pull-request', number })
  }

  /** Resolves the next time the worker finds nothing due. */
  async whenIdle(): Promise<void> {
    await this.ask('idle')
  }

  /** The body of an example event for the start-up message. */
  example(): Promise<Record<string, string> | null> {
    return this.ask('example')
  }

  /** What runs where, as the thread reads it at its head (every service, or only `service`); null while no thread runs. */
  services(service?: string): Promise<ServicesReply | null> {
    return this.ask('services', service !== undefined ? { service } : {})
  }

  /** Lets the batch in hand finish, then ends the thread. */
  stop(): Promise<void> {
    this.stopping = true
    const thread = this.thread
    if (!thread) return this.stopped ?? Promise.resolve()
    this.stopped = new Promise<void>((resolve) => {
      thread.once('exit', () => resolve())
      thread.on('message', (m: FromWorker) => {
        if (m.type === 'stopped') void thread.terminate()
      })
      this.send({ type: 'stop' })
    })
    return this.stopped
  }
}
