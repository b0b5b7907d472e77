import { createHash } from 'node:crypto'
import { PROPOSAL_BRANCH_PREFIX, type ChangeSet, type EventOutcome, type PendingEvent, type Proposal, type PullRequestRef } from '../core/change-set.js'
import { PushRejectedError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { encodeFile } from '../editors/file-codec.js'
import type { Forge, PullRequestInfo } from '../forges/forge.js'
import type { Remote } from '../git/remote.js'
import { writeCommit, type Person } from '../git/write-commit.js'
import type { AppliedRecord } from '../plan/build-change-set.js'
import { commitMessage } from '../plan/commit-message.js'
import { pullRequestText } from '../plan/pull-request-text.js'
import { targetKey, type Fence, type ProposalRecord, type Store } from '../store/store.js'

export interface DeliverDeps {
  readonly remote: Remote
  readonly forge: Forge
  readonly store: Store
  readonly log: Logger
  readonly author: Person
  readonly clock: () => Date
  readonly failpoint?: (name: string) => void | Promise<void>
  /** The lease the batch claimed under: its proposals are recorded only while it holds. */
  readonly fence?: Fence
  /** Told about a proposal whose PR turned out merged or closed while delivering (a missed webhook). */
  readonly onEnded: (p: ProposalRecord, pr: PullRequestInfo) => Promise<void>
  /** Pull requests whose auto-merge could not be turned on or done yet: the watcher tries again. */
  readonly onAutoMergeWaiting: (pr: PullRequestInfo, method: Proposal['mergeMethod']) => void
}

/** Identifies a branch's change: paths and the content before and after, so an unchanged change never moves the branch. */
export function contentKey(p: Proposal): string {
  const h = createHash('sha256')
  for (const e of [...p.edits].sort((a, b) => (a.path < b.path ? -1 : 1))) h.update(`${e.path}\0${sha(e.before)}\0${sha(e.after)}\0`)
  return h.digest('hex')
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex')

/**
 * Delivers a batch's proposals: per pull-request environment, the branch
 * `infra-sync/<service>/<env>` made from the base head as one commit and
 * pushed with a lease on its old value (only when its change differs from
 * what it holds), then the one open PR for that branch found by head, opened
 * or updated in place, and recorded. Finding the PR by its head makes a crash
 * anywhere in between harmless: the replay finds what the crash left.
 * `head` is the base branch after this batch's own commit, if it made one.
 * Returns the batch's outcomes with each proposed target's PR filled in.
 */
export async function deliverProposals(
  deps: DeliverDeps,
  head: string | null,
  changeSet: ChangeSet,
  pending: ReadonlyMap<string, PendingEvent>,
  outcomes: readonly EventOutcome[] = changeSet.outcomes,
): Promise<readonly EventOutcome[]> {
  const prs = new Map<string, PullRequestRef>()
  const keys = changeSet.proposals.map((p) => ({ service: p.service, environment: p.environment, image: p.image }))
  const known = await deps.store.proposals(keys)
  // One ref advertisement for every branch of the batch, not one per branch.
  const tips = await deps.remote.listRefs(`refs/heads/${PROPOSAL_BRANCH_PREFIX}`)
  for (const p of changeSet.proposals) {
    const stored = known.get(targetKey(p))?.open
    prs.set(lane(p.service, p.environment), await deliverOne(deps, head, p, stored, pending, outcomes, tips.get(`refs/heads/${p.branch}`) ?? null))
  }
  return outcomes.map((o) => {
    if (!o.targets.some((t) => t.update === 'pull-request' && prs.has(lane(t.service, t.environment)))) return o
    return {
      ...o,
      targets: o.targets.map((t) => {
        const pr = t.update === 'pull-request' && (t.status === 'proposed' || t.status === 'superseded') ? prs.get(lane(t.service, t.environment)) : undefined
        return pr ? { ...t, pullRequest: pr } : t
      }),
    }
  })
}

const lane = (service: string, environment: string) => `${service}\u0000${environment}`

async function deliverOne(
  deps: DeliverDeps,
  head: string | null,
  p: Proposal,
  stored: ProposalRecord | undefined,
  pending: ReadonlyMap<string, PendingEvent>,
  outcomes: readonly EventOutcome[],
  tip: string | null,
): Promise<PullRequestRef> {
  const { remote, forge, store, log } = deps
  const ref = `refs/heads/${p.branch}`
  const key = contentKey(p)
  let headSha = tip
  const moved = !(stored && stored.contentKey === key && stored.headSha === tip && tip !== null)
  if (moved) headSha = await pushBranch(deps, head, p, ref, tip, pending)

  const text = pullRequestText(p, pending, outcomes)
  let pr: PullRequestInfo | null = null
  const sameEvents = stored !== undefined && stored.eventIds.length === p.eventIds.length && p.eventIds.every((id) => stored.eventIds.includes(id))
  if (stored && !moved && sameEvents) {
    // Nothing changed since it was recorded (a retried batch): no API call at all.
    return stored.pullRequest
  }
  if (stored) {
    pr = await forge.update(stored.pullRequest.number, text)
    if (pr.state !== 'open') {
      // Merged or closed by a person and the webhook has not said so yet: settle it, then open a new one.
      await deps.onEnded(stored, pr)
      pr = null
    }
  }
  if (!pr) {
    const found = await forge.findOpen(p.branch)
    pr = found ? await forge.update(found.number, text) : await forge.open({ head: p.branch, base: remote.branch, ...text, labels: p.labels, reviewers: p.reviewers })
  }
  if (p.merge === 'auto') {
    const merged = await forge.autoMerge(pr, p.mergeMethod)
    if (merged.kind === 'merged') pr = merged.pullRequest
    else if (merged.kind === 'waiting') deps.onAutoMergeWaiting(pr, p.mergeMethod)
  }
  const now = deps.clock().toISOString()
  const changes = p.edits.flatMap((e) => e.changes)
  const newest = changes[changes.length - 1]!
  const value: AppliedRecord = { ...(newest.tag && { tag: newest.tag }), ...(newest.digest && { digest: newest.digest }), builtAt: newest.builtAt, eventId: newest.eventId }
  const record: ProposalRecord = {
    service: p.service,
    environment: p.environment,
    image: p.image,
    branch: p.branch,
    pullRequest: { number: pr.number, url: pr.url, state: 'open' },
    headSha: headSha!,
    contentKey: key,
    value,
    changes,
    eventIds: p.eventIds,
    openedAt: stored?.pullRequest.number === pr.number ? stored.openedAt : now,
    updatedAt: now,
  }
  await store.recordProposal(record, deps.clock(), { ...(deps.fence && { fence: deps.fence }) })
  log.info({ pullRequest: pr.number, branch: p.branch, events: p.eventIds, moved }, text.title)
  if (pr.state === 'merged') await deps.onEnded(record, pr)
  return record.pullRequest
}

/** Writes the branch's one commit on the base head and pushes it with a lease; a branch moved meanwhile (another replica) is leased again once. */
async function pushBranch(deps: DeliverDeps, head: string | null, p: Proposal, ref: string, tip: string | null, pending: ReadonlyMap<string, PendingEvent>): Promise<string> {
  const written = await writeCommit(deps.remote.objects, {
    parent: head,
    files: new Map(p.edits.map((e) => [e.path, encodeFile(e.after)])),
    message: commitMessage(p.edits, pending),
    author: deps.author,
    when: deps.clock(),
  })
  try {
    await deps.remote.pushRef(ref, tip, written)
  } catch (e) {
    if (!(e instanceof PushRejectedError)) throw e
    const now = (await deps.remote.listRefs(ref)).get(ref) ?? null
    await deps.remote.pushRef(ref, now, written)
  }
  await deps.failpoint?.('after-branch-push')
  return written.oid
}

/**
 * Where a batch's PR branches start: on its commit, unless a PR edits a file
 * the commit edited too (a values file shared by dev and prod), whose PR text
 * was planned without the commit's change and would undo it there.
 */
export function branchBase(changeSet: ChangeSet, head: string | null, commit: string): string | null {
  const committed = new Set(changeSet.edits.map((e) => e.path))
  return changeSet.proposals.some((p) => p.edits.some((e) => committed.has(e.path))) ? head : commit
}
