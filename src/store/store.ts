import type { BuildEvent } from '../core/build-event.js'
import type { EventOutcome, EventStatus, PullRequestRef, TargetOutcome, ValueChange } from '../core/change-set.js'
import type { AppliedRecord } from '../plan/build-change-set.js'
import type { OutboxStore } from './outbox.js'
import type { PinStore } from './pins.js'
import type { PromotionStore } from './promotions.js'
import type { ProposalEnd, ProposalRecord, ProposalState } from './proposals.js'
import type { ReplicaHint } from './replica-hint.js'

export type { ProposalEnd, ProposalRecord, ProposalState } from './proposals.js'

export interface AcceptInput {
  /**
   * The id to store a new event under: given when one event is stored in
   * several namespaces (several infra repos), so it has one id everywhere.
   * Absent: a new id. A duplicate answers with the id already stored.
   */
  readonly id?: string
  readonly source: string
  /** The sender's delivery id (webhook-id): the same id twice is one event. */
  readonly deliveryId: string
  readonly event: BuildEvent
  readonly receivedAt: Date
}

export interface AcceptResult {
  readonly id: string
  /** `delivery`: the same webhook-id again; `meaning`: the same build under a new delivery id (a re-run CI job). */
  readonly duplicate: false | 'delivery' | 'meaning'
  readonly status: EventStatus
}

/**
 * What makes two events the same build: source, image, ref and the digest
 * (else the tag). The ref is part of it so that a digest first pushed by a
 * branch build (skipped) still deploys when main pushes the same digest.
 */
export function eventMeaning(source: string, e: BuildEvent): string {
  // A rollback to a value is not the build that first brought it: each request is its own event.
  if (e.rollback) return ['rollback', e.rollback.service, e.rollback.environment, e.rollback.request].join('\u0000')
  return [source, e.image, e.ref ?? '', e.digest ?? `tag:${e.tag ?? ''}`].join('\u0000')
}

export interface EventRecord {
  readonly id: string
  readonly source: string
  readonly deliveryId: string
  readonly event: BuildEvent
  readonly receivedAt: string
  readonly status: EventStatus
  readonly code?: string
  readonly reason?: string
  readonly attempts: number
  readonly nextAttemptAt?: string
  readonly commit?: string
  /** Several infra repos: the repo (its `repos:` name) whose commit `commit` is. */
  readonly commitRepo?: string
  /** The pull request of the event when it has exactly one (a single pull-request target); targets name theirs. */
  readonly pullRequest?: PullRequestRef
  readonly targets: readonly TargetOutcome[]
  /** Set while a push that may carry this event is unresolved: the head it was based on. */
  readonly pushBase?: string | null
  readonly pushOutcome?: EventOutcome
  readonly updatedAt: string
}

/** Why a deployment row was written; rollbacks and promotions are recorded as such so change-failure figures can tell them apart. */
export type DeploymentKind = 'deploy' | 'rollback' | 'promotion'

/**
 * A row of deployment history: one value change that reached the infra repo,
 * with what a person asks of it (which build, from where, who merged).
 * The origin fields are absent on rows written before they existed.
 */
export interface Deployment extends ValueChange {
  /** The infra repo's commit that carries the change (a PR's merge commit). */
  readonly commit: string
  readonly appliedAt: string
  /** The source repository (owner/repo) whose build this is. */
  readonly source?: string
  /** The source commit the build was made from. */
  readonly sourceCommit?: string
  readonly buildUrl?: string
  /** The pull request that carried the change, when it came through one. */
  readonly pullRequest?: { readonly number: number; readonly url: string }
  readonly mergedBy?: string
  /** Absent: deploy. */
  readonly kind?: DeploymentKind
  /** When Argo CD saw the change healthy or failed, and its word on it (Store.recordHealth: the first verdict stands). */
  readonly healthyAt?: string
  readonly failedAt?: string
  readonly healthReason?: string
}

/** What Argo CD said of a deployment (Store.recordHealth): ISO times, and its reason. */
export interface DeploymentHealth {
  readonly healthyAt?: string
  readonly failedAt?: string
  readonly reason?: string
}

/** A deployment as history reads it: `seq` orders rows (newest largest) and pages them. */
export interface DeploymentRecord extends Deployment {
  readonly seq: number
  readonly kind: DeploymentKind
  /** Several infra repos: the repo (its `repos:` name) whose history the row is. */
  readonly repo?: string
}

export interface DeploymentQuery {
  readonly service?: string
  readonly environment?: string
  readonly limit: number
  /** Only rows older than this seq: the next page after a page whose last row had it. */
  readonly before?: number
}

export type Finish =
  | { readonly kind: 'final'; readonly outcome: EventOutcome; readonly commit?: string }
  | {
      readonly kind: 'retry'
      readonly id: string
      readonly code: string
      readonly reason: string
      readonly targets?: readonly TargetOutcome[]
      readonly retryAt: Date
      /** False when the failure is not the event's (the remote is down): it then never counts towards dead-lettering. */
      readonly countAttempt: boolean
    }
  | { readonly kind: 'dead'; readonly id: string; readonly code: string; readonly reason: string; readonly targets?: readonly TargetOutcome[] }
  /**
   * Held by a closed deploy window (outcome status waiting): stored as
   * waiting with its targets, claimed again at `retryAt`, never counted as an
   * attempt. `commit`: a commit that carries its other targets already.
   */
  | { readonly kind: 'wait'; readonly outcome: EventOutcome; readonly retryAt: Date; readonly commit?: string }

export interface TargetKey {
  readonly service: string
  readonly environment: string
  readonly image: string
}

export const targetKey = (k: TargetKey) => `${k.service}\u0000${k.environment}\u0000${k.image}`

/**
 * The right to run an infra repo's worker. `token` is the fencing token: each
 * new holder of `repo` gets a larger one (never reused, kept across restarts).
 * A Lease is a Fence, so a holder passes `{ fence: lease }` to its writes.
 */
export interface Lease {
  readonly repo: string
  /** Unique per process (e.g. host and a random id): the same owner acquiring again renews. */
  readonly owner: string
  readonly token: number
  /** By the store's clock (PostgreSQL: the database's). */
  readonly expiresAt: string
}

/** What a batch write checks, in its own transaction, before it writes anything. */
export interface Fence {
  readonly repo: string
  readonly token: number
}

/**
 * Options of a batch-outcome write. With `fence`, the write commits only if
 * the repo's lease still has that token, else it throws LeaseLostError
 * (LEASE_LOST) and writes nothing; without it, it writes unconditionally.
 */
export interface WriteOptions {
  readonly fence?: Fence
}

/** What a store's shared token buckets are given (the same as src/intake/rate-limit.ts's RateLimitOptions). */
export interface RateBucketOptions {
  readonly perSecond: number
  readonly burst: number
}

/** Token buckets by key: `take` answers 0 when a token was taken, else the whole seconds until one is free. */
export interface RateBuckets {
  take(key: string): Promise<number>
}

/**
 * The inbox (accepted events until they are decided) and the history.
 * `accept` resolves only once the event is durable: the 2xx depends on it.
 */
export interface Store {
  readonly kind: string
  init(): Promise<void>
  accept(input: AcceptInput): Promise<AcceptResult>
  get(id: string): Promise<EventRecord | null>
  /** Events due for work (queued, or failed or waiting and due), oldest first. */
  claim(limit: number, now: Date, opts?: WriteOptions): Promise<EventRecord[]>
  /** Before a push: where it starts and what it would record, so a crash is resolved from git history. */
  markPushing(base: string | null, outcomes: readonly EventOutcome[], opts?: WriteOptions): Promise<void>
  /** Records a batch's results, with its deployments, in one transaction. */
  finish(results: readonly Finish[], deployments: readonly Deployment[], now: Date, opts?: WriteOptions): Promise<void>
  lastApplied(keys: readonly TargetKey[]): Promise<Map<string, AppliedRecord>>
  /** Deployment history, newest first (by seq), filtered by service and environment when given. */
  deployments(q: DeploymentQuery): Promise<DeploymentRecord[]>
  /** Pins set through the API (rollbacks, manual pins): the planner skips their targets. */
  readonly pins: PinStore
  /** Notifications waiting to be delivered (outbox.ts). */
  readonly outbox: OutboxStore
  /** Builds on their way to the next environment, held by the health of the one they come from (promotions.ts). Retention leaves them. */
  readonly promotions: PromotionStore
  /**
   * Records when the deployment rows of (service, environment) at `commit` became healthy or failed, as Argo CD saw it.
   * The first verdict stands: rows that already have either time are left alone. Returns how many rows changed
   * (0, writing nothing, when `health` has neither time).
   */
  recordHealth(commit: string, service: string, environment: string, health: DeploymentHealth): Promise<number>
  /** Events with this status, newest first. */
  list(status: EventStatus, limit: number): Promise<EventRecord[]>
  /**
   * Puts a dead, failed or waiting event back in the queue with its attempts reset.
   * A dead event also forgets a push it never settled (PUSH_OUTCOME_UNKNOWN):
   * the operator has looked at the branch, so it is planned from HEAD as it is.
   * Returns null when there is no such event, the record unchanged when it is in another status.
   */
  retry(id: string, now: Date): Promise<EventRecord | null>
  /**
   * Forgets events that reached a final status (applied, skipped, rejected,
   * superseded, declined) before `before`; queued, failed, waiting, dead and proposed
   * ones are kept, and so is the deployment history. Returns how many were removed.
   */
  prune(before: Date): Promise<number>
  /** The open and declined proposals of pull-request targets, by targetKey. */
  proposals(keys: readonly TargetKey[]): Promise<Map<string, ProposalState>>
  /** Every proposal whose pull request is open, oldest first (polling fallback, reports). */
  openProposals(): Promise<ProposalRecord[]>
  /**
   * Records a proposal as pushed and its PR opened or updated, in one
   * transaction: upserts the row by (service, environment, PR number); an
   * event the same PR carried before and no longer does has its target for
   * this (service, environment) set to superseded (status recomputed).
   * The events of the batch itself are written by finish.
   */
  recordProposal(p: ProposalRecord, now: Date, opts?: WriteOptions): Promise<void>
  /**
   * A proposal's PR was merged or closed: in one transaction the row ends;
   * each carried event's target for that (service, environment) becomes
   * applied (with the merge commit, and a deployment row per change) or
   * declined, and each event's status is recomputed (eventStatusOf).
   * Idempotent; returns the events it changed, as they are now.
   */
  endProposal(service: string, environment: string, number: number, end: ProposalEnd, now: Date, opts?: WriteOptions): Promise<EventRecord[]>
  /**
   * Takes `repo`'s lease for `ttlMs` when it is free or expired (a new, larger
   * token), or renews it when `owner` holds it still (same token); null when
   * another owner holds it. PostgreSQL times it by the database's clock and
   * ignores `now`; SQLite (one process) uses `now`.
   */
  acquireLease(repo: string, owner: string, ttlMs: number, now: Date): Promise<Lease | null>
  /**
   * Extends a lease; null when it was taken over (another token). A lease
   * that expired but nobody took keeps its token and is renewed: no one else
   * can have written under a newer one.
   */
  renewLease(lease: Lease, ttlMs: number, now: Date): Promise<Lease | null>
  /** Expires the lease now if this holder still has it, so another takes over without waiting; the token is kept for the next. */
  releaseLease(lease: Lease): Promise<void>
  /**
   * Calls `listener` soon after any process on this store made an event due
   * (accepted a new one, or put one back with retry), and once after the
   * subscription recovers from a lost connection, since it may have missed
   * some. Resolves once listening (or after a first failed attempt, then
   * retrying in the background); resolves to unsubscribe. Absent where one
   * process is the only writer (SQLite): its intake wakes the worker itself.
   */
  onEventsDue?(listener: () => void): Promise<() => Promise<void>>
  /** Hints any process on this store sent with `hint` (this one's included); absent with one process (SQLite). Best effort: one lost costs a poll. */
  onHint?(listener: (hint: ReplicaHint) => void): Promise<() => Promise<void>>
  hint?(hint: ReplicaHint): Promise<void>
  /** Token buckets every process on this store shares; absent: each process keeps its own. */
  rateLimiter?(opts: RateBucketOptions): RateBuckets
  /** Counts by status, for readiness and metrics. */
  counts(): Promise<Record<string, number>>
  ping(): Promise<void>
  close(): Promise<void>
}
