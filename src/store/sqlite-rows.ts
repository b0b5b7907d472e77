import type { BuildEvent } from '../core/build-event.js'
import type { EventOutcome, EventStatus } from '../core/change-set.js'
import type { EventRecord } from './store.js'

/** The SQLite store's tables, and how one row of `events` reads as an EventRecord. */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  image TEXT NOT NULL,
  event TEXT NOT NULL,
  received_at TEXT NOT NULL,
  status TEXT NOT NULL,
  code TEXT,
  reason TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  push_base TEXT,
  push_pending INTEGER NOT NULL DEFAULT 0,
  push_outcome TEXT,
  commit_sha TEXT,
  pull_request TEXT,
  targets TEXT NOT NULL DEFAULT '[]',
  updated_at TEXT NOT NULL,
  UNIQUE (source, delivery_id)
);
CREATE INDEX IF NOT EXISTS events_status ON events (status, id);
CREATE INDEX IF NOT EXISTS events_due ON events (status, next_attempt_at) WHERE status IN ('queued', 'failed');
CREATE TABLE IF NOT EXISTS deployments (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL,
  service TEXT NOT NULL,
  environment TEXT NOT NULL,
  image TEXT NOT NULL,
  from_value TEXT,
  to_value TEXT NOT NULL,
  tag TEXT,
  digest TEXT,
  built_at TEXT NOT NULL,
  commit_sha TEXT NOT NULL,
  applied_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deployments_target ON deployments (service, environment, image, seq);
`

export interface Row {
  id: string
  source: string
  delivery_id: string
  event: string
  received_at: string
  status: EventStatus
  code: string | null
  reason: string | null
  attempts: number
  next_attempt_at: string | null
  push_base: string | null
  push_pending: number
  push_outcome: string | null
  commit_sha: string | null
  pull_request: string | null
  targets: string
  updated_at: string
}

export function toRecord(r: Row): EventRecord {
  return {
    id: r.id,
    source: r.source,
    deliveryId: r.delivery_id,
    event: JSON.parse(r.event) as BuildEvent,
    receivedAt: r.received_at,
    status: r.status,
    ...(r.code !== null && { code: r.code }),
    ...(r.reason !== null && { reason: r.reason }),
    attempts: r.attempts,
    ...(r.next_attempt_at !== null && { nextAttemptAt: r.next_attempt_at }),
    ...(r.commit_sha !== null && { commit: r.commit_sha }),
    ...(r.pull_request !== null && { pullRequest: r.pull_request }),
    targets: JSON.parse(r.targets),
    ...(r.push_pending === 1 && { pushBase: r.push_base }),
    ...(r.push_outcome !== null && { pushOutcome: JSON.parse(r.push_outcome) as EventOutcome }),
    updatedAt: r.updated_at,
  }
}
