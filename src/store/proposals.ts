import type { PullRequestRef, ValueChange } from '../core/change-set.js'
import type { AppliedRecord } from '../plan/build-change-set.js'

/**
 * One pull request infra-sync opened for a (service, environment): what it
 * proposes and which events it carries. The newest row per (service,
 * environment) in state open is that target's open proposal.
 */
export interface ProposalRecord {
  readonly service: string
  readonly environment: string
  readonly image: string
  readonly branch: string
  readonly pullRequest: PullRequestRef
  /** The branch's tip as infra-sync last pushed it. */
  readonly headSha: string
  /** Identifies the branch's change (paths and the blobs before and after), so an unchanged change never moves the branch. */
  readonly contentKey: string
  /** The value proposed: the newest build the PR carries. */
  readonly value: AppliedRecord
  /** The changes the PR carries now, each with the event that made it. */
  readonly changes: readonly ValueChange[]
  readonly eventIds: readonly string[]
  readonly openedAt: string
  readonly updatedAt: string
  readonly mergeCommit?: string
  readonly mergedBy?: string
  readonly mergedAt?: string
  readonly closedAt?: string
}

/** What the planner needs to know of a pull-request target's proposals. */
export interface ProposalState {
  readonly open?: ProposalRecord
  /** Values of pull requests closed without merge: never proposed again. */
  readonly declined: readonly AppliedRecord[]
}

/** How a pull request ended, as the forge says. */
export type ProposalEnd =
  | { readonly state: 'merged'; readonly mergeCommit: string; readonly mergedBy?: string; readonly mergedAt: string }
  | { readonly state: 'closed'; readonly closedAt: string }
