import type { EventOutcome } from '../core/change-set.js'
import { targetStatus } from '../plan/event-status.js'
import { ForgeError, GitRemoteError, InfraSyncError, PushRefusedError, RefLockedError, StoreUnavailableError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { WorkerMetrics } from '../observability/metrics.js'
import type { Deployment, EventRecord, Fence, Finish, Store } from '../store/store.js'
import type { ObjectStore } from '../git/object-store.js'
import type { Deepen } from '../git/read-deepening.js'
import { backoffMs } from './backoff.js'
import { settlePushed, type Carried } from './settle-pushed.js'
import type { RemoteCircuit } from './circuit.js'

export interface OutcomeRecorderDeps {
  readonly store: Store
  readonly metrics: WorkerMetrics
  readonly log: Logger
  readonly clock: () => Date
  readonly random: () => number
  readonly options: { readonly maxAttempts: number; readonly retryBaseMs: number; readonly retryCapMs: number }
  readonly circuit: RemoteCircuit
  /** Told of events that just became dead (their sources are told). */
  readonly onDead?: (dead: readonly { readonly record: EventRecord; readonly reason: string }[]) => Promise<void>
  /** Told of a batch's outcomes once written: which ended dead, and the batch's commit (notify-outcomes.ts). */
  readonly onSettled?: (records: readonly EventRecord[], outcomes: readonly EventOutcome[], dead: ReadonlySet<string>, commit: string | undefined) => Promise<void>
}

/**
 * Writes what became of a batch's events: final outcomes, retries with
 * backoff, and dead letters. Whose fault a failure was decides whether it
 * counts against the event: a remote or store outage never does.
 */
export class OutcomeRecorder {
  constructor(private readonly deps: OutcomeRecorderDeps) {}

  /**
   * `commits`: events an earlier commit carries (settle-pushed.ts), named with it rather than with this batch's.
   * `fence`: the lease the batch claimed under; a lost one writes nothing (LEASE_LOST).
   */
  async settle(records: readonly EventRecord[], outcomes: readonly EventOutcome[], batchCommit: string | undefined, deployments: Deployment[], commits: ReadonlyMap<string, string> = new Map(), fence?: Fence): Promise<void> {
    const byId = new Map(records.map((r) => [r.id, r]))
    const results: Finish[] = outcomes.map((o) => {
      const commit = commits.get(o.id) ?? batchCommit
      // A proposed event with a change in this commit too (dev by commit, prod by PR) names the commit.
      if (o.status === 'waiting') {
        // No opening within the look-ahead: look again in an hour rather than never.
        const retryAt = o.nextOpenAt ? new Date(o.nextOpenAt) : new Date(this.deps.clock().getTime() + 3_600_000)
        return { kind: 'wait', outcome: o, retryAt, ...(commit && o.targets.some((t) => t.decision === 'update' && targetStatus(t) === 'applied') && { commit }) }
      }
      if (o.status !== 'failed') return { kind: 'final', outcome: o, ...(commit && o.targets.some((t) => t.decision === 'update' && targetStatus(t) === 'applied') && { commit }) }
      return this.retryOrDead(byId.get(o.id)!, o.code ?? 'FAILED', o.reason ?? 'failed', true, o.targets)
    })
    await this.deps.store.finish(results, deployments, this.deps.clock(), { ...(fence && { fence }) })
    await this.recorded(records, results)
    await this.deps.onSettled?.(records, outcomes, new Set(results.flatMap((r) => (r.kind === 'dead' ? [r.id] : []))), batchCommit)
  }

  /**
   * Settles the batch's events whose push was never recorded, from the
   * remote's history (settle-pushed.ts), and tells the dead ones' sources.
   * Returns what is left to plan, what is carried, and the commits that carry
   * events already.
   */
  async settleUnrecorded(objects: ObjectStore, head: string | null, records: readonly EventRecord[], deepen: Deepen, fence?: Fence): Promise<{ remaining: readonly EventRecord[]; carried: Map<string, Carried>; commits: Map<string, string> }> {
    const { remaining, settled, carried } = await settlePushed(objects, this.deps.store, this.deps.log, head, records, this.deps.clock(), deepen, fence)
    await this.recorded(records, settled)
    return { remaining, carried, commits: new Map([...carried].map(([id, c]) => [id, c.commit])) }
  }

  private async recorded(records: readonly EventRecord[], results: readonly Finish[]): Promise<void> {
    this.count(results)
    const dead = results.flatMap((r) => (r.kind === 'dead' ? [{ record: records.find((x) => x.id === r.id)!, reason: r.reason }] : []))
    if (dead.length > 0) await this.deps.onDead?.(dead)
  }

  private retryOrDead(r: EventRecord, code: string, reason: string, countAttempt: boolean, targets?: EventOutcome['targets']): Finish {
    const attempt = r.attempts + 1
    if (countAttempt && attempt >= this.deps.options.maxAttempts) return { kind: 'dead', id: r.id, code, reason: `${reason} (gave up after ${attempt} attempts)`, ...(targets && { targets }) }
    const retryAt = new Date(this.deps.clock().getTime() + backoffMs(countAttempt ? attempt : this.deps.circuit.failureCount, this.deps.options.retryBaseMs, this.deps.options.retryCapMs, this.deps.random))
    return { kind: 'retry', id: r.id, code, reason, retryAt, countAttempt, ...(targets && { targets }) }
  }

  count(results: readonly Finish[]): void {
    for (const r of results) this.deps.metrics.finished(r.kind === 'final' || r.kind === 'wait' ? r.outcome.status : r.kind === 'dead' ? 'dead' : 'failed')
  }

  async failAll(records: readonly EventRecord[], e: unknown, fence?: Fence): Promise<void> {
    if (e instanceof PushRefusedError) return this.refused(records, e, fence)
    const err = e instanceof InfraSyncError ? e : undefined
    if (!err) this.deps.log.error({ err: e }, 'unexpected error while applying events')
    else this.deps.log.warn({ code: err.code, reason: err.message, events: records.length }, 'batch failed; will retry')
    const code = err?.code ?? 'INTERNAL'
    const reason = err?.message ?? 'internal error'
    // Trouble with the remote or the store is not the events' fault: they wait, however long it lasts.
    // A branch locked by another writer is neither the events' fault nor the remote failing.
    // A forge that is down (5xx, rate limits) is not the events' fault either; its refusals (4xx) are.
    const outage = e instanceof GitRemoteError || e instanceof StoreUnavailableError || (e instanceof ForgeError && e.retryable)
    const counts = !outage && !(e instanceof RefLockedError)
    if (outage && !(e instanceof ForgeError)) this.deps.circuit.failed(err!)
    const results = records.map((r) => this.retryOrDead(r, code, reason, counts))
    await this.deps.store.finish(results, [], this.deps.clock(), { ...(fence && { fence }) })
    await this.recorded(records, results)
  }

  /**
   * The remote refuses the update itself (branch protection, a hook): every
   * try would be refused the same way, so the batch's events are dead at
   * once, with the remote's reason, for a person to act on. Not an outage:
   * the circuit is left as it is.
   */
  private async refused(records: readonly EventRecord[], e: PushRefusedError, fence?: Fence): Promise<void> {
    const reason = `${e.data.reason} (the remote refused the push to ${e.data.ref})`
    this.deps.log.warn({ code: e.code, ref: e.data.ref, reason: e.data.reason, events: records.length }, 'the remote refused the push; the events are dead')
    const results: Finish[] = records.map((r) => ({ kind: 'dead', id: r.id, code: e.code, reason }))
    await this.deps.store.finish(results, [], this.deps.clock(), { ...(fence && { fence }) })
    await this.recorded(records, results)
  }
}
