import type { BuildEvent } from './build-event.js'

/** An accepted event waiting in the inbox, as the planner sees it. */
export interface PendingEvent {
  readonly id: string
  readonly event: BuildEvent
  /** ISO instant the event was accepted; stands in for builtAt when the sender gave none. */
  readonly receivedAt: string
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
}

export type EventStatus = 'queued' | 'applied' | 'skipped' | 'rejected' | 'failed' | 'dead'

export interface EventOutcome {
  readonly id: string
  /** applied: at least one target changes; the rest are final decisions made without a change. */
  readonly status: 'applied' | 'skipped' | 'rejected' | 'failed'
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
}

export interface FileEdit {
  readonly path: string
  readonly before: string
  readonly after: string
  readonly changes: readonly ValueChange[]
}

/** The whole result of planning a batch: the file edits to commit and the outcome of every event. */
export interface ChangeSet {
  readonly edits: readonly FileEdit[]
  readonly outcomes: readonly EventOutcome[]
}
