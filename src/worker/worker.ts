import type { EventOutcome, PendingEvent } from '../core/change-set.js'
import { GitRemoteError, InfraSyncError, PushRejectedError, StoreUnavailableError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { decodeUtf8 } from '../editors/yaml-text.js'
import { findEventCommits } from '../git/find-trailers.js'
import type { Remote } from '../git/remote.js'
import { GitSnapshot } from '../git/snapshot.js'
import { writeCommit, type Person } from '../git/write-commit.js'
import type { Metrics } from '../observability/metrics.js'
import { buildChangeSet, type FileContent } from '../plan/build-change-set.js'
import { commitMessage } from '../plan/commit-message.js'
import { filesNeeded, matchEvent } from '../plan/match-events.js'
import { EMPTY_REGISTRY, loadRegistry, type Registry } from '../projects/registry.js'
import { targetKey, type Deployment, type EventRecord, type Finish, type Store } from '../store/store.js'
import { backoffMs } from './backoff.js'
import { phaseTimer } from './phase-timer.js'

export interface WorkerOptions {
  readonly batchSize: number
  /** Attempts before an event is dead-lettered. */
  readonly maxAttempts: number
  /** Re-plans after a rejected push, within one batch. */
  readonly pushRetries: number
  readonly pollMs: number
  readonly retryBaseMs: number
  readonly retryCapMs: number
  readonly author: Person
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  batchSize: 500,
  maxAttempts: 8,
  pushRetries: 10,
  pollMs: 1000,
  retryBaseMs: 1000,
  retryCapMs: 5 * 60_000,
  author: { name: 'infra-sync', email: 'infra-sync@localhost' },
}

export interface WorkerDeps {
  readonly store: Store
  readonly remote: Remote
  readonly cache: object
  readonly log: Logger
  readonly metrics: Metrics
  readonly clock?: () => Date
  readonly random?: () => number
  readonly sleep?: (ms: number) => Promise<void>
  readonly options?: Partial<WorkerOptions>
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * One worker per infra repo: claims every due event, plans them together on
 * the current head, and delivers one commit per batch. A push that loses a
 * race is re-planned on the new head; a push whose outcome is unknown is
 * settled from the remote's history before anything is pushed again.
 */
export class Worker {
  private readonly opts: WorkerOptions
  private readonly clock: () => Date
  private readonly random: () => number
  private readonly sleep: (ms: number) => Promise<void>
  private registry: Registry = EMPTY_REGISTRY
  private running = false
  private loop: Promise<void> | undefined
  private wakeUp: (() => void) | undefined
  private woken = false
  /** Head of the last successful sync; readiness reports it. */
  lastHead: string | null | undefined
  /** Batches in a row that failed for the remote's or the store's sake: the backoff of the whole worker. */
  private remoteFailures = 0

  constructor(private readonly deps: WorkerDeps) {
    this.opts = { ...DEFAULT_WORKER_OPTIONS, ...deps.options }
    this.clock = deps.clock ?? (() => new Date())
    this.random = deps.random ?? Math.random
    this.sleep = deps.sleep ?? defaultSleep
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.loop = this.run()
  }

  /** New work arrived: skip the rest of the poll interval. */
  wake(): void {
    this.woken = true
    this.wakeUp?.()
  }

  async stop(): Promise<void> {
    this.running = false
    this.wake()
    await this.loop
  }

  private async run(): Promise<void> {
    while (this.running) {
      let n = 0
      try {
        n = await this.runOnce()
      } catch (e) {
        this.deps.log.error({ err: e }, 'worker batch failed')
      }
      if (n === 0 && this.running) await this.idle()
    }
  }

  private idle(): Promise<void> {
    if (this.woken) {
      this.woken = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const t = setTimeout(done, this.opts.pollMs)
      function done() {
        clearTimeout(t)
        resolve()
      }
      this.wakeUp = () => {
        this.wakeUp = undefined
        this.woken = false
        done()
      }
    })
  }

  /** Claims and processes one batch; returns how many events it took. */
  async runOnce(): Promise<number> {
    this.woken = false
    const records = await this.deps.store.claim(this.opts.batchSize, this.clock())
    if (records.length === 0) return 0
    this.deps.metrics.batchSize.observe(records.length)
    try {
      await this.process(records)
      this.remoteFailures = 0
    } catch (e) {
      await this.failAll(records, e)
    }
    return records.length
  }

  private async process(records: readonly EventRecord[]): Promise<void> {
    const { store, remote, cache, log, metrics } = this.deps
    const timer = phaseTimer()
    let head = await remote.sync()
    this.lastHead = head
    timer.mark('sync')

    // Settle pushes whose outcome was never recorded.
    const unsettled = records.filter((r) => r.pushBase !== undefined)
    let remaining = records
    if (unsettled.length > 0) {
      const bases = new Set(unsettled.map((r) => r.pushBase ?? null))
      const stopAt = bases.size === 1 ? [...bases][0]! : null
      const found = await findEventCommits(remote.gitdir, cache, head, stopAt, new Set(unsettled.map((r) => r.id)))
      if (found.size > 0) {
        const results: Finish[] = []
        for (const r of unsettled) {
          const commit = found.get(r.id)
          if (commit && r.pushOutcome) results.push({ kind: 'final', outcome: r.pushOutcome, commit })
        }
        await store.finish(results, [], this.clock())
        this.count(results)
        log.info({ events: [...found.keys()], commits: [...new Set(found.values())] }, 'found already-pushed events in the remote history')
        remaining = records.filter((r) => !found.has(r.id))
      }
    }
    if (remaining.length === 0) return

    const pending = new Map<string, PendingEvent>(remaining.map((r) => [r.id, { id: r.id, event: r.event, receivedAt: r.receivedAt }]))
    for (let attempt = 1; ; attempt++) {
      const snapshot = head ? await GitSnapshot.at(remote.gitdir, head, cache) : null
      this.registry = snapshot ? await loadRegistry(snapshot, this.registry) : EMPTY_REGISTRY
      const matched = [...pending.values()].map((p) => matchEvent(p, this.registry))
      const files = new Map<string, FileContent>()
      for (const path of filesNeeded(matched)) files.set(path, await readFile(snapshot!, path))
      const keys = matched.flatMap((m) => m.candidates.map((c) => ({ service: c.service.name, environment: c.target.environment, image: c.service.config!.image })))
      const history = await store.lastApplied(keys)
      const changeSet = buildChangeSet(matched, files, (service, environment, image) => history.get(targetKey({ service, environment, image })), { pullRequests: false })
      timer.mark('plan')

      if (changeSet.edits.length === 0) {
        await this.settle(records, changeSet.outcomes, undefined, [])
        return
      }
      const now = this.clock()
      const message = commitMessage(changeSet.edits, pending)
      const written = await writeCommit(remote.gitdir, cache, {
        parent: head,
        files: new Map(changeSet.edits.map((e) => [e.path, Buffer.from(e.after, 'utf8')])),
        message,
        author: this.opts.author,
        when: now,
      })
      const applied = changeSet.outcomes.filter((o) => o.status === 'applied')
      timer.mark('write')
      await store.markPushing(head, applied)
      timer.mark('record')
      try {
        await remote.push(head, written)
        timer.mark('push')
      } catch (e) {
        if (!(e instanceof PushRejectedError)) {
          metrics.pushes.inc({ result: 'error' })
          throw e
        }
        metrics.pushes.inc({ result: 'rejected' })
        const newHead = await remote.sync()
        if (newHead === head) {
          // Not a race: the remote refused the update itself (a hook, branch protection).
          throw new GitRemoteError(`the remote refused the push: ${e.message}`, { reason: e.data.reason }, { retryable: true })
        }
        if (attempt >= this.opts.pushRetries) throw new GitRemoteError(`lost the race to push ${attempt} times in a row`, {}, { retryable: true })
        log.info({ attempt, head: newHead }, 'push lost a race; re-planning on the new head')
        head = newHead
        this.lastHead = head
        await this.sleep(backoffMs(attempt, 20, 1000, this.random))
        timer.mark('race')
        continue
      }
      metrics.pushes.inc({ result: 'ok' })
      metrics.commits.inc()
      this.lastHead = written.oid
      const deployments: Deployment[] = changeSet.edits.flatMap((e) => e.changes.map((c) => ({ ...c, commit: written.oid, appliedAt: now.toISOString() })))
      await this.settle(records, changeSet.outcomes, written.oid, deployments)
      timer.mark('settle')
      for (const r of records) if (changeSet.outcomes.find((o) => o.id === r.id)?.status === 'applied') metrics.eventToCommit.observe((this.clock().getTime() - Date.parse(r.receivedAt)) / 1000)
      log.info({ commit: written.oid, events: applied.map((o) => o.id), files: changeSet.edits.map((e) => e.path), ms: timer.result() }, message.split('\n')[0])
      return
    }
  }

  private async settle(records: readonly EventRecord[], outcomes: readonly EventOutcome[], commit: string | undefined, deployments: Deployment[]): Promise<void> {
    const byId = new Map(records.map((r) => [r.id, r]))
    const results: Finish[] = outcomes.map((o) => {
      if (o.status !== 'failed') return { kind: 'final', outcome: o, ...(o.status === 'applied' && commit && { commit }) }
      return this.retryOrDead(byId.get(o.id)!, o.code ?? 'FAILED', o.reason ?? 'failed', true, o.targets)
    })
    await this.deps.store.finish(results, deployments, this.clock())
    this.count(results)
  }

  private retryOrDead(r: EventRecord, code: string, reason: string, countAttempt: boolean, targets?: EventOutcome['targets']): Finish {
    const attempt = r.attempts + 1
    if (countAttempt && attempt >= this.opts.maxAttempts) return { kind: 'dead', id: r.id, code, reason: `${reason} (gave up after ${attempt} attempts)`, ...(targets && { targets }) }
    const retryAt = new Date(this.clock().getTime() + backoffMs(countAttempt ? attempt : this.remoteFailures, this.opts.retryBaseMs, this.opts.retryCapMs, this.random))
    return { kind: 'retry', id: r.id, code, reason, retryAt, countAttempt, ...(targets && { targets }) }
  }

  private count(results: readonly Finish[]): void {
    for (const r of results) this.deps.metrics.eventsFinished.inc({ status: r.kind === 'final' ? r.outcome.status : r.kind === 'dead' ? 'dead' : 'failed' })
  }

  private async failAll(records: readonly EventRecord[], e: unknown): Promise<void> {
    const err = e instanceof InfraSyncError ? e : undefined
    if (!err) this.deps.log.error({ err: e }, 'unexpected error while applying events')
    else this.deps.log.warn({ code: err.code, reason: err.message, events: records.length }, 'batch failed; will retry')
    const code = err?.code ?? 'INTERNAL'
    const reason = err?.message ?? 'internal error'
    // Trouble with the remote or the store is not the events' fault: they wait, however long it lasts.
    const counts = !(e instanceof GitRemoteError || e instanceof StoreUnavailableError)
    if (!counts) this.remoteFailures++
    const results = records.map((r) => this.retryOrDead(r, code, reason, counts))
    await this.deps.store.finish(results, [], this.clock())
    this.count(results)
  }
}

async function readFile(snapshot: GitSnapshot, path: string): Promise<FileContent> {
  try {
    const bytes = await snapshot.read(path)
    return bytes === null ? null : { text: decodeUtf8(bytes, path) }
  } catch (e) {
    if (e instanceof InfraSyncError) return { error: e }
    throw e
  }
}
