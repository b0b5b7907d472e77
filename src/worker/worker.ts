import type { PendingEvent } from '../core/change-set.js'
import { GitRemoteError, InfraSyncError, LeaseLostError } from '../core/errors.js'
import { emptyRegistry, type Registry } from '../projects/registry.js'
import type { EventRecord, Fence } from '../store/store.js'
import { batchDeployments } from './batch-deployments.js'
import { RemoteCircuit, type RepoHealth } from './circuit.js'
import { phaseTimer } from './phase-timer.js'
import { afterFailedPush, type AfterPushDeps } from './after-failed-push.js'
import { DEFAULT_WORKER_OPTIONS, type WorkerDeps, type WorkerOptions } from './worker-options.js'
import { OutcomeRecorder } from './outcome-recorder.js'
import { planBatch } from './plan-batch.js'
import { Retention } from './retention.js'
import { WakeSignal } from './wake-signal.js'
import { carryOver } from './settle-pushed.js'
import { branchBase } from './deliver-proposals.js'
import { PullRequests } from './pull-requests.js'
import { writeBatchCommit } from './batch-commit.js'
import { RepoLease } from './repo-lease.js'
import { notifyMerged, notifyOutcomes } from './notify-outcomes.js'

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
/**
 * One worker per infra repo and replica; only the one holding the repo's
 * lease works, and its writes are fenced by the lease's token (repo-lease.ts).
 * It claims every due event, plans them together on the current head, and
 * delivers one commit per batch. A push that loses a race is re-planned on
 * the new head; a push whose outcome is unknown is settled from the remote's
 * history before anything is pushed again.
 */
export class Worker {
  private readonly opts: WorkerOptions
  private readonly clock: () => Date
  private readonly random: () => number
  private readonly sleep: (ms: number) => Promise<void>
  private registry: Registry = emptyRegistry()
  private running = false
  private loop: Promise<void> | undefined
  private readonly signal = new WakeSignal()
  private head: string | null | undefined
  private idleWaiters: (() => void)[] = []

  /** The remote's head as last seen or made by this worker; undefined when it must be asked. */
  get knownHead(): string | null | undefined {
    return this.head
  }

  private set knownHead(head: string | null | undefined) {
    this.head = head
    this.deps.onHead?.(head)
  }

  /** Resolves the next time the worker finds nothing due. */
  whenIdle(): Promise<void> {
    const p = new Promise<void>((r) => this.idleWaiters.push(r))
    this.wake()
    return p
  }
  /** Batches in a row that failed for the remote's or the store's sake: the backoff of the whole worker. */
  private readonly circuit: RemoteCircuit
  private readonly outcomes: OutcomeRecorder
  private readonly pushDeps: AfterPushDeps
  private readonly retention: Retention
  private readonly prs: PullRequests | undefined
  private readonly lease: RepoLease

  constructor(private readonly deps: WorkerDeps) {
    this.opts = { ...DEFAULT_WORKER_OPTIONS, ...deps.options }
    this.clock = deps.clock ?? (() => new Date())
    this.random = deps.random ?? Math.random
    this.sleep = deps.sleep ?? defaultSleep
    const o = this.opts
    const backoff = { threshold: o.circuitThreshold, baseMs: o.retryBaseMs, capMs: o.retryCapMs, random: this.random, clock: this.clock }
    this.circuit = new RemoteCircuit({ ...backoff, log: deps.log, metrics: deps.metrics, schedule: (ms) => this.signal.after(ms), ...(deps.onRepoHealth && { onChange: deps.onRepoHealth }) })
    this.retention = new Retention(deps.store, deps.log, this.clock, o.retentionDays)
    this.pushDeps = { metrics: deps.metrics, log: deps.log, sleep: this.sleep, random: this.random, pushRetries: o.pushRetries, sync: () => this.sync(), forgetHead: () => (this.knownHead = undefined) }
    const notices = { ...deps, clock: this.clock, registry: () => this.registry }
    this.outcomes = new OutcomeRecorder({ store: deps.store, metrics: deps.metrics, log: deps.log, clock: this.clock, random: this.random, options: o, circuit: this.circuit, onDead: async (dead) => this.prs?.reportDead(dead, this.registry), ...(deps.notifier && { onSettled: notifyOutcomes(notices) }) })
    if (deps.forge) this.prs = new PullRequests({ ...deps, forge: deps.forge, clock: this.clock, author: o.author, pollMs: o.prPollMs, onMerged: () => (this.knownHead = undefined), ...(deps.notifier && { onProposalMerged: notifyMerged(notices) }) })
    // Another leader may have moved the branch meanwhile: the head is asked again.
    this.lease = new RepoLease({ ...deps, ttlMs: o.leaseTtlMs, clock: this.clock, onChange: (leader) => ((this.knownHead = undefined), deps.onLeader?.(leader)) })
  }

  /** The service registry as the last batch read it (empty before the first). */
  get currentRegistry(): Registry { return this.registry }
  /** Whether this worker holds the repo's lease (only then does it work). */
  get leader(): boolean {
    return this.lease.held
  }

  /** The fallback for missed pull_request webhooks (the loop runs it every prPollMs). */
  pollPullRequests(): Promise<void> {
    return this.exclusive(async () => {
      const fence = this.lease.fence
      if (fence) await this.prs?.poll(fence)
    })
  }

  /** A webhook said pull request `number` changed: look at it now, between batches (the leader's poll settles it otherwise). */
  pullRequestChanged(number: number): Promise<void> {
    return this.exclusive(async () => {
      const fence = this.lease.fence
      if (fence) await this.prs?.changed(number, fence)
    })
  }

  /** Whether the repo was fetched, whether the circuit is open, and why. */
  get repoHealth(): RepoHealth {
    return this.circuit.health()
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.lease.startRenewals()
    this.loop = this.run()
  }

  /** New work arrived: skip the rest of the poll interval. */
  wake(): void {
    this.signal.wake()
  }

  /** Lets the batch in hand finish, then releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.running = false
    this.lease.stopRenewals()
    this.wake()
    await this.loop
    await this.draining
    await this.exclusive(() => this.lease.release())
  }

  private async run(): Promise<void> {
    while (this.running) {
      let n = 0
      // Not the leader: nothing to do but try for the lease again a third of its TTL later (or when woken).
      if ((await this.lease.acquire()) === undefined) {
        for (const w of this.idleWaiters.splice(0)) w()
        if (this.running) await this.signal.sleep(Math.min(this.opts.pollMs, this.lease.intervalMs))
        continue
      }
      try {
        n = await this.runOnce()
        // Readiness waits for one fetch since start: with nothing to do, it is made now rather than with the first event.
        if (n === 0 && !this.circuit.fetched && this.lease.held) await this.exclusive(() => this.firstFetch())
      } catch (e) {
        this.deps.log.error({ err: e }, 'worker batch failed')
      }
      if (n === 0 && this.prs?.pollDue()) await this.pollPullRequests()
      if (n === 0 && this.lease.held) await this.retention.maybePrune()
      // Beside the batches, one drain at a time: a slow receiver never holds up a deploy.
      if (this.lease.held && this.deps.notifier && !this.draining) this.draining = this.deps.notifier.drain().catch((e) => this.deps.log.error({ err: e }, 'notifications failed')).finally(() => (this.draining = undefined))
      if (n === 0) for (const w of this.idleWaiters.splice(0)) w()
      if (n === 0 && this.running) await this.signal.sleep(this.opts.pollMs)
    }
  }

  private lock: Promise<unknown> = Promise.resolve()
  private draining: Promise<unknown> | undefined
  /** Runs `fn` between batches, never during one: the remote and its clone have one user at a time. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn)
    this.lock = run.catch(() => undefined)
    return run
  }

  /** Claims and processes one batch; returns how many events it took. */
  runOnce(): Promise<number> {
    return this.exclusive(() => this.batch())
  }

  /** The infra repo's branch moved: fetch it now, between batches, so the next plan starts from it. */
  refresh(): Promise<void> {
    return this.exclusive(async () => {
      if (this.circuit.isOpen() || !this.lease.held) return
      await this.sync().catch((e) => this.deps.log.warn({ code: (e as InfraSyncError).code }, 'refresh after a push webhook failed; the next batch fetches'))
    })
  }

  /** The first read of the branch since start, when there is no batch to make it; the circuit spaces out the tries. */
  private async firstFetch(): Promise<void> {
    if (this.circuit.fetched || this.circuit.isOpen()) return
    try {
      await this.sync()
      this.circuit.succeeded()
    } catch (e) {
      this.circuit.failed(e instanceof InfraSyncError ? e : new GitRemoteError('fetch failed', {}, { cause: e }))
    }
  }

  private async batch(): Promise<number> {
    this.signal.consume()
    // While the remote keeps failing, the circuit is open: no batch is claimed (events wait in the
    // store, intake keeps accepting) until a backoff has passed; then one batch tries.
    if (this.circuit.isOpen()) return 0
    const fence = await this.lease.acquire()
    if (!fence) return 0
    // Every write of the batch carries the token it claimed under: once another worker took over, they write nothing.
    const records = await this.deps.store.claim(this.opts.batchSize, this.clock(), { fence }).catch((e) => this.lease.refused(e, 0))
    if (records.length === 0) return 0
    this.deps.metrics.batch(records.length)
    try {
      await this.process(records, fence)
      this.circuit.succeeded()
    } catch (e) {
      // A lost lease ends the batch without failAll: nothing can be written.
      if (e instanceof LeaseLostError) this.lease.refused(e, records.length)
      else await this.outcomes.failAll(records, e, fence).catch((e2) => this.lease.refused(e2, records.length))
    }
    this.deps.metrics.heap(process.memoryUsage().heapUsed)
    return records.length
  }

  /** Asks the remote for its head (fetching what is new) and remembers it. */
  private async sync(): Promise<string | null> {
    this.knownHead = undefined
    const head = await this.deps.remote.sync().catch((e) => {
      this.circuit.fetchFailed(e, this.deps.remote.description)
      throw e
    })
    this.knownHead = head
    this.circuit.fetchedNow()
    return head
  }

  private async process(records: readonly EventRecord[], fence: Fence): Promise<void> {
    const { store, remote, log, metrics } = this.deps
    const timer = phaseTimer()
    // Plan on the head we last saw or made, without asking the remote: the push names that head as
    // its base, so a stale plan is refused by the remote and re-planned. A batch that changes
    // nothing has no push to check it, so it asks before its decisions become final (below).
    let fresh = this.knownHead === undefined
    let head = fresh ? await this.sync() : this.knownHead!

    // Settle pushes whose outcome was never recorded.
    const unsettled = records.filter((r) => r.pushBase !== undefined)
    if (unsettled.length > 0 && !fresh) {
      head = await this.sync()
      fresh = true
    }
    timer.mark('sync')
    // Dead because their push's outcome cannot be told: their sources hear it as any dead event's would. A carried event keeps its commit.
    const { remaining, carried, commits } = await this.outcomes.settleUnrecorded(remote.objects, head, records, (n) => remote.deepen(n), fence)
    if (remaining.length === 0) return

    const pending = new Map<string, PendingEvent>(remaining.map((r) => [r.id, { id: r.id, event: r.event, receivedAt: r.receivedAt, ...(r.status === 'waiting' && { earlier: r.targets }) }]))
    for (let attempt = 1; ; attempt++) {
      const planned = await planBatch(remote.objects, store, head, pending.values(), this.registry, (phase) => timer.mark(phase), this.deps.forge !== undefined, (n) => remote.deepen(n), { ...(this.deps.windows && { windows: this.deps.windows }), now: this.clock() })
      this.registry = planned.registry
      const { changeSet } = planned
      let outcomes = carryOver(changeSet.outcomes, carried)

      if (changeSet.edits.length === 0) {
        if (!fresh) {
          const latest = await this.sync()
          fresh = true
          if (latest !== head) {
            head = latest
            continue
          }
        }
        if (changeSet.proposals.length > 0) outcomes = [...(await this.prs!.propose(head, changeSet, pending, outcomes, fence))]
        await this.outcomes.settle(records, outcomes, undefined, [], commits, fence)
        await this.prs?.report(outcomes, pending)
        return
      }
      const now = this.clock()
      const { written, message, applied } = await writeBatchCommit(remote.objects, head, changeSet.edits, outcomes, pending, this.opts.author, now)
      timer.mark('write')
      await store.markPushing(head, applied, { fence })
      timer.mark('record')
      await this.deps.failpoint?.('after-commit')
      // The remote knows no tokens: a worker that is no longer surely the leader does not push.
      this.lease.check(fence)
      try {
        await remote.push(head, written)
        await this.deps.failpoint?.('after-push')
        timer.mark('push')
      } catch (e) {
        head = await afterFailedPush(e, attempt, head, this.pushDeps)
        fresh = true
        timer.mark('race')
        continue
      }
      metrics.push('ok')
      metrics.commit()
      this.knownHead = written.oid
      // Pull requests after the commit: a commit environment never waits for a forge. A crash in between carries them over (settle-pushed.ts).
      if (changeSet.proposals.length > 0) outcomes = [...(await this.prs!.propose(branchBase(changeSet, head, written.oid), changeSet, pending, outcomes, fence))]
      timer.mark('propose')
      const deployments = batchDeployments(changeSet.edits, records, written.oid, now)
      await this.outcomes.settle(records, outcomes, written.oid, deployments, commits, fence)
      timer.mark('settle')
      await this.prs?.report(outcomes, pending, written.oid)
      for (const r of records) if (outcomes.find((o) => o.id === r.id)?.status === 'applied') metrics.eventToCommit((this.clock().getTime() - Date.parse(r.receivedAt)) / 1000)
      log.info({ commit: written.oid, events: applied.map((o) => o.id), files: changeSet.edits.map((e) => e.path), ms: timer.result() }, message.split('\n')[0])
      return
    }
  }
}
