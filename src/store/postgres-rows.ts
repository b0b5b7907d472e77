import type { BuildEvent } from '../core/build-event.js'
import type { EventOutcome, EventStatus, PullRequestRef, TargetOutcome, ValueChange } from '../core/change-set.js'
import type { AppliedRecord } from '../plan/build-change-set.js'
import type { EventRecord, ProposalRecord } from './store.js'

/** An events row as pg returns it: timestamptz as Date, jsonb parsed. */
export interface PgEventRow {
  id: string
  source: string
  delivery_id: string
  event: BuildEvent
  received_at: Date
  status: EventStatus
  code: string | null
  reason: string | null
  attempts: number
  next_attempt_at: Date | null
  push_base: string | null
  push_pending: boolean
  push_outcome: EventOutcome | null
  commit_sha: string | null
  pull_request: PullRequestRef | null
  targets: TargetOutcome[]
  updated_at: Date
}

export const iso = (d: Date) => d.toISOString()
const isoOrNull = (d: Date | null) => (d === null ? null : d.toISOString())

/** The same record the SQLite store reads (src/store/sqlite-rows.ts), field for field. */
export function pgToRecord(r: PgEventRow): EventRecord {
  return {
    id: r.id,
    source: r.source,
    deliveryId: r.delivery_id,
    event: r.event,
    receivedAt: iso(r.received_at),
    status: r.status,
    ...(r.code !== null && { code: r.code }),
    ...(r.reason !== null && { reason: r.reason }),
    attempts: r.attempts,
    ...(r.next_attempt_at !== null && { nextAttemptAt: iso(r.next_attempt_at) }),
    ...(r.commit_sha !== null && { commit: r.commit_sha }),
    ...(r.pull_request !== null && { pullRequest: r.pull_request }),
    targets: r.targets,
    ...(r.push_pending && { pushBase: r.push_base }),
    ...(r.push_outcome !== null && { pushOutcome: r.push_outcome }),
    updatedAt: iso(r.updated_at),
  }
}

export interface PgProposalRow {
  seq: string
  service: string
  environment: string
  image: string
  branch: string
  pr_number: number
  pr_url: string
  pr_state: PullRequestRef['state']
  head_sha: string
  content_key: string
  value: AppliedRecord
  changes: ValueChange[]
  event_ids: string[]
  opened_at: Date
  updated_at: Date
  merge_commit: string | null
  merged_by: string | null
  merged_at: Date | null
  closed_at: Date | null
}

export function pgToProposal(r: PgProposalRow): ProposalRecord {
  const mergedAt = isoOrNull(r.merged_at)
  const closedAt = isoOrNull(r.closed_at)
  return {
    service: r.service,
    environment: r.environment,
    image: r.image,
    branch: r.branch,
    pullRequest: { number: r.pr_number, url: r.pr_url, state: r.pr_state },
    headSha: r.head_sha,
    contentKey: r.content_key,
    value: r.value,
    changes: r.changes,
    eventIds: r.event_ids,
    openedAt: iso(r.opened_at),
    updatedAt: iso(r.updated_at),
    ...(r.merge_commit !== null && { mergeCommit: r.merge_commit }),
    ...(r.merged_by !== null && { mergedBy: r.merged_by }),
    ...(mergedAt !== null && { mergedAt }),
    ...(closedAt !== null && { closedAt }),
  }
}

/** jsonb parameters travel as text: pg would send a JS array as a PostgreSQL array. */
export const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v))

/** The merged-at of a row, for endedTarget's reason. */
export const mergedAtOf = (r: PgProposalRow) => isoOrNull(r.merged_at)
