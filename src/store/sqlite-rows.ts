import type Database from 'better-sqlite3'
import type { BuildEvent } from '../core/build-event.js'
import type { EventOutcome, EventStatus, PullRequestRef, TargetOutcome, ValueChange } from '../core/change-set.js'
import type { AppliedRecord } from '../plan/build-change-set.js'
import type { EventRecord, ProposalRecord } from './store.js'
import { SQLITE_OUTBOX } from './sqlite-outbox.js'
import { SQLITE_PINS } from './sqlite-pins.js'
import { SQLITE_PROMOTIONS } from './sqlite-promotions.js'

/** The SQLite store's tables as the first versioned schema (user_version 1) has them. */
const SCHEMA_V1 = `
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

/** Pull requests infra-sync opened (user_version 2). `seq` orders rows as they were first recorded: the newest open one wins. */
const SCHEMA_V2 = `
CREATE TABLE IF NOT EXISTS proposals (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  service TEXT NOT NULL,
  environment TEXT NOT NULL,
  image TEXT NOT NULL,
  branch TEXT NOT NULL,
  pr_number INTEGER NOT NULL,
  pr_url TEXT NOT NULL,
  pr_state TEXT NOT NULL CHECK (pr_state IN ('open', 'closed', 'merged')),
  head_sha TEXT NOT NULL,
  content_key TEXT NOT NULL,
  value TEXT NOT NULL,
  changes TEXT NOT NULL,
  event_ids TEXT NOT NULL,
  opened_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  merge_commit TEXT,
  merged_by TEXT,
  merged_at TEXT,
  closed_at TEXT,
  UNIQUE (service, environment, pr_number)
);
CREATE INDEX IF NOT EXISTS proposals_target ON proposals (service, environment, image, pr_state);
CREATE INDEX IF NOT EXISTS proposals_open ON proposals (opened_at, seq) WHERE pr_state = 'open';
`

/** What a deployment came from (user_version 4), and the index history reads a service's rows by. */
const DEPLOYMENT_ORIGIN = `
ALTER TABLE deployments ADD COLUMN source TEXT;
ALTER TABLE deployments ADD COLUMN source_commit TEXT;
ALTER TABLE deployments ADD COLUMN build_url TEXT;
ALTER TABLE deployments ADD COLUMN pr_number INTEGER;
ALTER TABLE deployments ADD COLUMN pr_url TEXT;
ALTER TABLE deployments ADD COLUMN merged_by TEXT;
ALTER TABLE deployments ADD COLUMN kind TEXT NOT NULL DEFAULT 'deploy' CHECK (kind IN ('deploy', 'rollback', 'promotion'));
CREATE INDEX IF NOT EXISTS deployments_service ON deployments (service, seq);
`

/** Argo CD's verdict on each deployment (user_version 8), and the index recordHealth finds a commit's rows by. */
const DEPLOYMENT_HEALTH = `
ALTER TABLE deployments ADD COLUMN healthy_at TEXT;
ALTER TABLE deployments ADD COLUMN failed_at TEXT;
ALTER TABLE deployments ADD COLUMN health_reason TEXT;
CREATE INDEX IF NOT EXISTS deployments_commit ON deployments (commit_sha);
`

export interface Migrator {
  exec(sql: string): unknown
  columns(table: string): string[]
}

/**
 * Step i brings a database from user_version i to i + 1. Stores made before
 * versioning read as version 0 and may or may not have the meaning column,
 * so step 0 is idempotent over everything they can hold.
 */
export const MIGRATIONS: readonly ((db: Migrator) => void)[] = [
  (db) => {
    db.exec(SCHEMA_V1)
    // Every event they hold keeps a null meaning.
    if (!db.columns('events').includes('meaning')) db.exec('ALTER TABLE events ADD COLUMN meaning TEXT')
    db.exec('CREATE INDEX IF NOT EXISTS events_meaning ON events (meaning)')
  },
  (db) => db.exec(SCHEMA_V2),
  // The lease of each infra repo (user_version 3); the row stays once made, so its token only grows.
  (db) => db.exec('CREATE TABLE IF NOT EXISTS leases (repo TEXT PRIMARY KEY, owner TEXT NOT NULL, token INTEGER NOT NULL CHECK (token > 0), expires_at TEXT NOT NULL)'),
  // History's origin of each deployment (user_version 4): rows written before read with these null, and as deploys.
  (db) => db.exec(DEPLOYMENT_ORIGIN),
  // Pins set through the API (user_version 5): rollbacks and manual pins, one per (service, environment).
  (db) => db.exec(SQLITE_PINS),
  // The notifications outbox (user_version 6).
  (db) => db.exec(SQLITE_OUTBOX),
  // Events waiting for a deploy window are due at its opening (user_version 7).
  (db) => db.exec(`DROP INDEX IF EXISTS events_due; CREATE INDEX events_due ON events (status, next_attempt_at) WHERE status IN ('queued', 'failed', 'waiting');`),
  // Promotion records and deployment health (user_version 8): rows written before have no verdict.
  (db) => db.exec(`${SQLITE_PROMOTIONS};${DEPLOYMENT_HEALTH}`),
]

/** Brings the file to the newest schema (PRAGMA user_version), all steps in one transaction. */
export function migrateSqlite(handle: Database.Database): void {
  const version = () => handle.pragma('user_version', { simple: true }) as number
  if (version() >= MIGRATIONS.length) return
  const db: Migrator = {
    exec: (sql: string) => handle.exec(sql),
    columns: (table: string) => (handle.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name),
  }
  handle
    .transaction(() => {
      for (let v = version(); v < MIGRATIONS.length; v++) MIGRATIONS[v]!(db)
      handle.pragma(`user_version = ${MIGRATIONS.length}`)
    })
    .immediate()
}

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

/** Rows from before pull requests never set the column; anything not a JSON object is read as none. */
function readPullRequest(text: string | null): PullRequestRef | undefined {
  if (text === null || !text.startsWith('{')) return undefined
  return JSON.parse(text) as PullRequestRef
}

/** The event's pull request: the one its targets name, when they name exactly one. */
export function eventPullRequest(targets: readonly TargetOutcome[]): string | null {
  const byNumber = new Map<number, PullRequestRef>()
  for (const t of targets) if (t.pullRequest) byNumber.set(t.pullRequest.number, t.pullRequest)
  if (byNumber.size !== 1) return null
  const pr = [...byNumber.values()][0]!
  return JSON.stringify({ number: pr.number, url: pr.url, state: pr.state })
}

export function toRecord(r: Row): EventRecord {
  const pullRequest = readPullRequest(r.pull_request)
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
    ...(pullRequest && { pullRequest }),
    targets: JSON.parse(r.targets),
    ...(r.push_pending === 1 && { pushBase: r.push_base }),
    ...(r.push_outcome !== null && { pushOutcome: JSON.parse(r.push_outcome) as EventOutcome }),
    updatedAt: r.updated_at,
  }
}

export interface ProposalRow {
  seq: number
  service: string
  environment: string
  image: string
  branch: string
  pr_number: number
  pr_url: string
  pr_state: PullRequestRef['state']
  head_sha: string
  content_key: string
  value: string
  changes: string
  event_ids: string
  opened_at: string
  updated_at: string
  merge_commit: string | null
  merged_by: string | null
  merged_at: string | null
  closed_at: string | null
}

export function toProposal(r: ProposalRow): ProposalRecord {
  return {
    service: r.service,
    environment: r.environment,
    image: r.image,
    branch: r.branch,
    pullRequest: { number: r.pr_number, url: r.pr_url, state: r.pr_state },
    headSha: r.head_sha,
    contentKey: r.content_key,
    value: JSON.parse(r.value) as AppliedRecord,
    changes: JSON.parse(r.changes) as ValueChange[],
    eventIds: JSON.parse(r.event_ids) as string[],
    openedAt: r.opened_at,
    updatedAt: r.updated_at,
    ...(r.merge_commit !== null && { mergeCommit: r.merge_commit }),
    ...(r.merged_by !== null && { mergedBy: r.merged_by }),
    ...(r.merged_at !== null && { mergedAt: r.merged_at }),
    ...(r.closed_at !== null && { closedAt: r.closed_at }),
  }
}

/** The statements finish runs per result: final, retried (failed or dead), or held by a deploy window. */
export const FINISH_SQL = {
  final: `UPDATE events SET status = ?, code = ?, reason = ?, commit_sha = ?, targets = ?, pull_request = ?, next_attempt_at = NULL,
    push_pending = 0, push_outcome = NULL, updated_at = ? WHERE id = ?`,
  retry: `UPDATE events SET status = ?, code = ?, reason = ?, targets = COALESCE(?, targets), pull_request = CASE WHEN ? THEN ? ELSE pull_request END,
    attempts = attempts + ?, next_attempt_at = ?, updated_at = ? WHERE id = ?`,
  // Held by a deploy window: its targets as planned, due again at the opening; attempts untouched.
  wait: `UPDATE events SET status = 'waiting', code = ?, reason = ?, commit_sha = COALESCE(?, commit_sha), targets = ?, pull_request = ?, next_attempt_at = ?,
    push_pending = 0, push_outcome = NULL, updated_at = ? WHERE id = ?`,
} as const
