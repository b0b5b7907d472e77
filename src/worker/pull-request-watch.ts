import type { MergeMethod } from '../core/change-set.js'
import { InfraSyncError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { Forge, PullRequestInfo } from '../forges/forge.js'
import type { EventRecord, Fence, ProposalRecord, Store } from '../store/store.js'

export interface WatchDeps {
  readonly forge: Forge
  readonly store: Store
  readonly log: Logger
  readonly clock: () => Date
  /** Events whose targets changed (merged: applied; closed: declined): the source is told. */
  readonly onSettled: (events: readonly EventRecord[]) => Promise<void>
  /** A merge moved the base branch: the next batch must fetch it. */
  readonly onMerged: () => void
  /** A proposal's PR was merged: its service's notification targets are told (notify-outcomes.ts). */
  readonly onProposalMerged?: (p: ProposalRecord, pr: PullRequestInfo) => Promise<void>
}

/** How many recently closed PRs one poll reads: one API call, whatever the number of open proposals. */
const RECENT = 100

/**
 * Learns what became of open proposals: a `pull_request` webhook names one
 * (asked about by number), and a poll reads the recently closed PRs in one
 * call, so a missed webhook is settled at the next poll. The forge is the
 * source of truth either way; a webhook only says when to look.
 */
export class PullRequestWatch {
  private readonly waiting = new Map<number, MergeMethod>()

  constructor(private readonly deps: WatchDeps) {}

  /** Auto-merge could not be turned on nor done yet: tried again at each poll until the PR ends. */
  autoMergeWaiting(pr: PullRequestInfo, method: MergeMethod): void {
    this.waiting.set(pr.number, method)
  }

  /** A webhook said PR `number` changed. `fence`: the worker's lease, checked by the write that ends a proposal. */
  async changed(number: number, fence?: Fence): Promise<void> {
    const open = (await this.deps.store.openProposals()).filter((p) => p.pullRequest.number === number)
    if (open.length === 0) return
    await this.settle(open, [await this.deps.forge.get(number)], fence)
  }

  /** The fallback: reads the recently closed PRs and settles the open proposals among them; retries waiting auto-merges. */
  async poll(fence?: Fence): Promise<void> {
    const open = await this.deps.store.openProposals()
    if (open.length === 0) {
      this.waiting.clear()
      return
    }
    await this.settle(open, await this.deps.forge.recentlyClosed(RECENT), fence)
    for (const [number, method] of [...this.waiting]) {
      const p = (await this.deps.store.openProposals()).find((o) => o.pullRequest.number === number)
      if (!p) {
        this.waiting.delete(number)
        continue
      }
      try {
        const result = await this.deps.forge.autoMerge(await this.deps.forge.get(number), method)
        if (result.kind === 'waiting') continue
        this.waiting.delete(number)
        if (result.kind === 'merged') await this.end(p, result.pullRequest, fence)
      } catch (e) {
        if (!(e instanceof InfraSyncError)) throw e
        this.deps.log.warn({ pullRequest: number, code: e.code }, 'auto-merge failed; trying again at the next poll')
      }
    }
  }

  /** Ends a proposal whose PR the forge says is merged or closed. */
  async end(p: ProposalRecord, pr: PullRequestInfo, fence?: Fence): Promise<void> {
    if (pr.state === 'open') return
    const end =
      pr.state === 'merged'
        ? { state: 'merged' as const, mergeCommit: pr.mergeCommit ?? pr.headSha, ...(pr.mergedBy && { mergedBy: pr.mergedBy }), mergedAt: pr.mergedAt ?? this.deps.clock().toISOString() }
        : { state: 'closed' as const, closedAt: pr.closedAt ?? this.deps.clock().toISOString() }
    const events = await this.deps.store.endProposal(p.service, p.environment, p.pullRequest.number, end, this.deps.clock(), { ...(fence && { fence }) })
    this.waiting.delete(pr.number)
    if (events.length === 0) return
    this.deps.log.info({ pullRequest: pr.number, state: pr.state, ...(end.state === 'merged' && { commit: end.mergeCommit, by: end.mergedBy }), events: events.map((e) => e.id) }, `${p.branch}: pull request #${pr.number} ${pr.state}`)
    if (pr.state === 'merged') this.deps.onMerged()
    await this.deps.onSettled(events)
    if (pr.state === 'merged') await this.deps.onProposalMerged?.(p, pr)
  }

  private async settle(open: readonly ProposalRecord[], prs: readonly PullRequestInfo[], fence: Fence | undefined): Promise<void> {
    const byNumber = new Map(prs.map((pr) => [pr.number, pr]))
    for (const p of open) {
      const pr = byNumber.get(p.pullRequest.number)
      if (!pr || pr.state === 'open') continue
      // GitHub's list leaves out who merged: ask the PR itself (only for the few that end a proposal).
      await this.end(p, pr.state === 'merged' && !pr.mergedBy ? await this.deps.forge.get(pr.number) : pr, fence)
    }
  }
}
