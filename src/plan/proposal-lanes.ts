import { proposalBranch, type FileEdit, type Proposal, type PullRequestRef } from '../core/change-set.js'
import { formatImageValue } from '../editors/editor.js'
import type { Candidate, Policy } from '../policies/policy.js'
import type { ServiceTarget } from '../projects/registry.js'
import type { ProposalView } from './build-change-set.js'

/**
 * Lanes: the commit lane holds the edits for the base branch; each
 * pull-request environment has a lane of its own whose files start from the
 * base head, so a proposal never carries another lane's change and the
 * commit never carries a proposal's.
 */
export const COMMIT_LANE = ''

export const laneKey = (service: string, environment: string) => `${service}\u0000${environment}`

/** What a pull-request lane's proposal takes from its target. */
export interface LaneTarget {
  readonly service: string
  readonly environment: string
  readonly image: string
  readonly target: ServiceTarget
}

export interface ProposalSkip {
  readonly code: 'declined' | 'older' | 'already-proposed'
  readonly reason: string
  readonly pullRequest?: PullRequestRef
}

const prName = (pr: PullRequestRef | undefined) => (pr ? `PR #${pr.number}` : 'its pull request')

/**
 * Orders a build against a pull-request target's proposals: a value whose PR
 * was closed unmerged is never proposed again; the open PR is replaced only
 * by a newer build. The same value again is a skip, except for an event the
 * PR already carries: that is a replay after a crash, planned again so the
 * batch records it (the branch does not move for the same content).
 * Null: go on and propose it.
 */
export function proposalSkip(build: Candidate, to: string, eventId: string, view: ProposalView | undefined, policy: Policy): ProposalSkip | null {
  if (!view) return null
  const declined = view.declined.find((d) => formatImageValue(d) === to)
  if (declined) {
    const pr = declined.pullRequest
    return { code: 'declined', reason: `${to} was declined: ${prName(pr)} was closed without merge`, ...(pr && { pullRequest: pr }) }
  }
  const open = view.open
  if (!open) return null
  const proposed = formatImageValue(open.value)
  if (proposed === to) {
    if (open.eventIds.includes(eventId)) return null
    return { code: 'already-proposed', reason: `${to} is already proposed in ${prName(open.pullRequest)}`, pullRequest: open.pullRequest }
  }
  const cmp = policy.compare(build, open.value)
  if (cmp !== null && cmp <= 0) return { code: 'older', reason: `${to} is not newer than ${proposed} proposed in ${prName(open.pullRequest)}` }
  return null
}

/** The proposal of one pull-request lane: its edits, the events they carry, and how its PR is handled. */
export function proposalOf(lane: LaneTarget, edits: readonly FileEdit[]): Proposal {
  const { service, environment, image, target } = lane
  return {
    service,
    environment,
    image,
    branch: proposalBranch(service, environment),
    edits,
    eventIds: [...new Set(edits.flatMap((e) => e.changes.map((c) => c.eventId)))],
    merge: target.merge ?? 'manual',
    mergeMethod: target.mergeMethod ?? 'merge',
    reviewers: target.reviewers ?? [],
    labels: target.labels ?? [],
  }
}
