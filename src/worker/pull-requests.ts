import type { ChangeSet, EventOutcome, PendingEvent } from '../core/change-set.js'
import type { InfraSyncError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { ReportMode } from '../config/config.js'
import type { Forge, PullRequestInfo } from '../forges/forge.js'
import type { Remote } from '../git/remote.js'
import type { Person } from '../git/write-commit.js'
import type { WorkerMetrics } from '../observability/metrics.js'
import type { EventRecord, Fence, ProposalRecord, Store } from '../store/store.js'
import { matchEvent } from '../plan/match-events.js'
import type { Registry } from '../projects/registry.js'
import { deliverProposals } from './deliver-proposals.js'
import { PullRequestWatch } from './pull-request-watch.js'
import { SourceReports } from './source-reports.js'

export interface PullRequestsDeps {
  readonly forge: Forge
  readonly metrics?: WorkerMetrics
  readonly reports?: ReadonlyMap<string, ReportMode>
  readonly store: Store
  readonly remote: Remote
  readonly log: Logger
  readonly clock: () => Date
  readonly author: Person
  readonly pollMs: number
  readonly failpoint?: (name: string) => void | Promise<void>
  /** A merge moved the base branch. */
  readonly onMerged: () => void
  readonly onProposalMerged?: (p: ProposalRecord, pr: PullRequestInfo) => Promise<void>
}

/** The worker's pull-request side: delivers proposals, watches their PRs end, and tells sources. */
export class PullRequests {
  private readonly watch: PullRequestWatch
  private readonly reports: SourceReports | undefined
  private lastPoll = 0
  private counted = 0

  constructor(private readonly deps: PullRequestsDeps) {
    const reports = (this.reports = deps.reports?.size ? new SourceReports({ forge: deps.forge, modes: deps.reports, log: deps.log }) : undefined)
    this.watch = new PullRequestWatch({
      forge: deps.forge,
      store: deps.store,
      log: deps.log,
      clock: deps.clock,
      onSettled: async (events) => reports?.send(events.map((e) => ({ event: e.event, targets: e.targets, ...(e.commit && { commit: e.commit }) }))),
      onMerged: deps.onMerged,
      ...(deps.onProposalMerged && { onProposalMerged: deps.onProposalMerged }),
    })
  }

  /** A webhook said pull request `number` changed. `fence`: the worker's lease (as in poll and propose). */
  async changed(number: number, fence?: Fence): Promise<void> {
    await this.watch.changed(number, fence).catch((e: InfraSyncError) => this.deps.log.warn({ pullRequest: number, code: e.code }, 'could not read the pull request; the poll will'))
    this.count()
  }

  /** Reports the API requests sent since the last report (/metrics). */
  private count(): void {
    const n = this.deps.forge.requests - this.counted
    this.counted += n
    if (n > 0) this.deps.metrics?.forgeRequests?.(n)
  }

  /** Whether the polling fallback is due (at most every pollMs). */
  pollDue(): boolean {
    return this.deps.clock().getTime() - this.lastPoll >= this.deps.pollMs
  }

  async poll(fence?: Fence): Promise<void> {
    this.lastPoll = this.deps.clock().getTime()
    await this.watch.poll(fence).catch((e: InfraSyncError) => this.deps.log.warn({ code: e.code }, 'polling pull requests failed; trying again later'))
    this.count()
  }

  async propose(head: string | null, changeSet: ChangeSet, pending: ReadonlyMap<string, PendingEvent>, outcomes: readonly EventOutcome[], fence?: Fence): Promise<readonly EventOutcome[]> {
    try {
      return await this.deliver(head, changeSet, pending, outcomes, fence)
    } finally {
      this.count()
    }
  }

  private deliver(head: string | null, changeSet: ChangeSet, pending: ReadonlyMap<string, PendingEvent>, outcomes: readonly EventOutcome[], fence: Fence | undefined): Promise<readonly EventOutcome[]> {
    const { remote, forge, store, log, failpoint, author, clock } = this.deps
    return deliverProposals(
      {
        remote,
        forge,
        store,
        log,
        author,
        clock,
        ...(failpoint && { failpoint }),
        ...(fence && { fence }),
        onEnded: (p, pr) => this.watch.end(p, pr, fence),
        onAutoMergeWaiting: (pr, method) => this.watch.autoMergeWaiting(pr, method),
      },
      head,
      changeSet,
      pending,
      outcomes,
    )
  }

  /** A dead event's source hears of it for every environment its image was meant for (from the registry as last read). */
  async reportDead(dead: readonly { readonly record: EventRecord; readonly reason: string }[], registry: Registry): Promise<void> {
    if (!this.reports) return
    const items = dead.map(({ record: r, reason }) => {
      const m = matchEvent({ id: r.id, event: r.event, receivedAt: r.receivedAt }, registry)
      const targets = m.candidates.map((c) => ({ service: c.service.name, environment: c.target.environment, file: null, image: r.event.image, decision: 'skip' as const, code: 'dead', reason }))
      return { event: r.event, targets, dead: reason }
    })
    await this.reports.send(items)
  }

  /** Tells each event's source what became of it (when the source asked to be told). */
  async report(outcomes: readonly EventOutcome[], pending: ReadonlyMap<string, PendingEvent>, commit?: string): Promise<void> {
    if (!this.reports) return
    await this.reports.send(outcomes.filter((o) => o.status !== 'failed' && pending.has(o.id)).map((o) => ({ event: pending.get(o.id)!.event, targets: o.targets, ...(commit && { commit }) })))
    this.count()
  }
}
