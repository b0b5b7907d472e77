import type { BuildEvent } from './build-event.js'

/** An accepted event waiting in the inbox, as the planner sees it. */
export interface PendingEvent {
  readonly id: string
  readonly event: BuildEvent
  /** ISO instant the event was accepted; stands in for builtAt when the sender gave none. */
  readonly receivedAt: string
  /** An event planned again after waiting: its targets as the last plan left them (a change made then stays its own). */
  readonly earlier?: readonly TargetOutcome[]
}

export type TargetDecision = 'update' | 'skip' | 'reject'

/**
 * What happened to one (service, environment) for one event. `code` is
 * stable for programs; `reason` is for people.
 */
export interface TargetOutcome {
  readonly service: string
  readonly environment: string
  readonly file: string | null
  readonly image: string
  readonly from?: string
  readonly to?: string
  readonly decision: TargetDecision
  readonly code: string
  readonly reason: string
  /** How the change is delivered when decision is update. */
  readonly update?: 'commit' | 'pull-request'
  /**
   * Where this target stands, in the event status words: applied (its change
   * is on the base branch), proposed (in an open PR), superseded (its PR took
   * a newer build), declined (its PR closed unmerged), skipped, rejected.
   * Unset on records written before pull requests existed: read it as
   * eventStatus's rule does (update → applied, skip → skipped, reject → rejected).
   */
  readonly status?: TargetStatus
  /** The pull request that carries (or carried) this target's change. */
  readonly pullRequest?: PullRequestRef
  /** The infra repo (its `repos:` name) of this target, when the deployment serves several. */
  readonly repo?: string
  /** Status waiting (a deploy window is closed): when the next window opens (ISO), if known. */
  readonly nextOpenAt?: string
  /** A promotion: the environment the build was healthy in, and the commit that deployed it there. */
  readonly promotedFrom?: PromotedFrom
}

/** Where a promoted build ran first: `Promoted-From: <environment>@<commit>`. */
export interface PromotedFrom {
  readonly environment: string
  readonly commit: string
}

export type TargetStatus = 'applied' | 'proposed' | 'waiting' | 'superseded' | 'declined' | 'skipped' | 'rejected'

/** A pull request as events and targets name it. */
export interface PullRequestRef {
  readonly number: number
  readonly url: string
  readonly state: 'open' | 'closed' | 'merged'
  /** Once merged: the commit on the base branch, who merged it and when. */
  readonly mergeCommit?: string
  readonly mergedBy?: string
  readonly mergedAt?: string
}

export type EventStatus = 'queued' | 'proposed' | 'waiting' | 'applied' | 'superseded' | 'declined' | 'skipped' | 'rejected' | 'failed' | 'dead'

export interface EventOutcome {
  readonly id: string
  /**
   * applied: at least one target changed on the base branch and none waits in a PR;
   * proposed: at least one target waits in an open PR. The rest are final decisions
   * made without a change; waiting: a target's deploy window is closed, so
   * the event is claimed again at `nextOpenAt`. See eventStatusOf in plan/event-status.ts.
   */
  readonly status: 'applied' | 'proposed' | 'waiting' | 'superseded' | 'declined' | 'skipped' | 'rejected' | 'failed'
  /** Status waiting: when to plan the event again (the earliest next opening of its targets' windows). */
  readonly nextOpenAt?: string
  readonly code?: string
  readonly reason?: string
  readonly retryable?: boolean
  readonly targets: readonly TargetOutcome[]
}

/** One value change inside one file, attributed to the event that caused it. */
export interface ValueChange {
  readonly eventId: string
  readonly service: string
  readonly environment: string
  readonly image: string
  readonly from?: string
  readonly to: string
  readonly tag?: string
  readonly digest?: string
  readonly builtAt: string
  readonly promotedFrom?: PromotedFrom
}

export interface FileEdit {
  readonly path: string
  readonly before: string
  readonly after: string
  readonly changes: readonly ValueChange[]
}

export type MergeMode = 'manual' | 'auto'
export type MergeMethod = 'merge' | 'squash' | 'rebase'

/**
 * The change one pull-request environment gets from a batch: its own edits,
 * made on the base branch's head (never on the other lanes' edits), for the
 * branch `infra-sync/<service>/<environment>`.
 */
export interface Proposal {
  readonly service: string
  readonly environment: string
  readonly image: string
  readonly branch: string
  readonly edits: readonly FileEdit[]
  /** Every event whose change the proposal carries (the newest build per file wins; older ones are superseded). */
  readonly eventIds: readonly string[]
  readonly merge: MergeMode
  readonly mergeMethod: MergeMethod
  readonly reviewers: readonly string[]
  readonly labels: readonly string[]
}

/** The whole result of planning a batch: the file edits to commit, one proposal per pull-request environment, and the outcome of every event. */
export interface ChangeSet {
  readonly edits: readonly FileEdit[]
  readonly proposals: readonly Proposal[]
  readonly outcomes: readonly EventOutcome[]
}

/** The branch a pull-request environment's changes are proposed from. */
export const PROPOSAL_BRANCH_PREFIX = 'infra-sync/'
export const proposalBranch = (service: string, environment: string) => `${PROPOSAL_BRANCH_PREFIX}${service}/${environment}`
