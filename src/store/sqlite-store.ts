import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { EventOutcome, EventStatus } from '../core/change-set.js'
import { StoreUnavailableError, ValidationError } from '../core/errors.js'
import type { AppliedRecord } from '../plan/build-change-set.js'
import { deploymentArgs, insertDeploymentSql } from './deployment-rows.js'
import { eventIdFactory } from './event-id.js'
import { sqliteDeployments, sqliteLastApplied, sqliteRecordHealth } from './sqlite-history.js'
import { SqliteLeases } from './sqlite-leases.js'
import { sqliteOutbox } from './sqlite-outbox.js'
import { sqlitePins } from './sqlite-pins.js'
import { sqlitePromotions } from './sqlite-promotions.js'
import { SqliteProposals, statusAfter } from './sqlite-proposals.js'
import { eventPullRequest, FINISH_SQL, migrateSqlite, toRecord, type Row } from './sqlite-rows.js'
import { badEventId, isEventId, namespacedSqliteFile, takenEventId } from './store-namespace.js'
import {
  eventMeaning,
  type AcceptInput,
  type AcceptResult,
  type Deployment,
  type DeploymentQuery,
  type DeploymentRecord,
  type EventRecord,
  type Finish,
  type Lease,
  type ProposalEnd,
  type ProposalRecord,
  type ProposalState,
  type Store,
  type TargetKey,
  type WriteOptions,
} from './store.js'

/**
 * The embedded store: one SQLite file, WAL, synchronous=FULL so an accepted
 * event survives power loss. One process owns it (better-sqlite3 is
 * synchronous, and its calls are short); several replicas need PostgreSQL.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite'
  private db!: Database.Database
  private proposalQueries!: SqliteProposals
  private leases!: SqliteLeases
  private readonly newId = eventIdFactory()
  readonly pins = sqlitePins(() => this.db, (fn) => this.run(fn))
  readonly outbox = sqliteOutbox(() => this.db, (fn) => this.run(fn))
  readonly promotions = sqlitePromotions(() => this.db, (fn) => this.run(fn))
  readonly recordHealth: Store['recordHealth'] = async (...args) => sqliteRecordHealth(this.db, (fn) => this.run(fn), ...args)
  private readonly queue: { input: AcceptInput; resolve: (r: AcceptResult) => void; reject: (e: unknown) => void }[] = []

  /**
   * `intake` is the HTTP thread's connection: it never sleeps waiting for the
   * write lock (a busy accept is retried from a timer instead, so the event
   * loop keeps answering) and leaves checkpoints to the worker's connection.
   */
  constructor(
    private readonly file: string,
    private readonly role: 'intake' | 'worker' = 'worker',
  ) {}

  /** A `namespace` (one of several infra repos) is a file of its own beside the URL's (store-namespace.ts). */
  static fromUrl(url: string, role: 'intake' | 'worker' = 'worker', namespace?: string): SqliteStore {
    const file = url.replace(/^sqlite:(\/\/)?/, '')
    return new SqliteStore(namespace === undefined ? file : namespacedSqliteFile(file, namespace), role)
  }

  async init(): Promise<void> {
    if (this.file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true })
    this.db = new Database(this.file)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = FULL')
    // Even the intake waits at start: the other connection may be migrating the same file.
    this.db.pragma('busy_timeout = 5000')
    this.db.pragma('foreign_keys = ON')
    this.run(() => migrateSqlite(this.db))
    this.db.pragma(`busy_timeout = ${this.role === 'intake' ? 0 : 5000}`)
    if (this.role === 'intake') this.db.pragma('wal_autocheckpoint = 0')
    this.leases = new SqliteLeases(this.db, (fn) => this.run(fn))
    this.proposalQueries = new SqliteProposals(this.db, (fn) => this.run(fn), this.leases)
  }

  private run<T>(fn: () => T): T {
    try {
      return fn()
    } catch (e) {
      const code = (e as { code?: string }).code ?? ''
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_FULL') || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY')) {
        throw new StoreUnavailableError(`the store cannot take writes now (${code})`, e)
      }
      throw e
    }
  }

  /**
   * Group commit: accepts arriving in the same turn of the event loop share
   * one transaction and one fsync. Each caller still hears back only after
   * its row is on disk, so a 202 is never sent for an event that is not.
   */
  accept(input: AcceptInput): Promise<AcceptResult> {
    if (input.id !== undefined && !isEventId(input.id)) return Promise.reject(badEventId())
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject })
      if (this.queue.length === 1 && !this.retrying) setImmediate(() => this.flushAccepts())
    })
  }

  private retrying = false
  private insertEvent: Database.Statement | undefined
  private existingEvent: Database.Statement | undefined
  private sameMeaning: Database.Statement | undefined
  private eventById: Database.Statement | undefined
  private busySince = 0

  private flushAccepts(): void {
    this.retrying = false
    const batch = this.queue.splice(0)
    if (batch.length === 0) return
    this.insertEvent ??= this.db.prepare(
      `INSERT INTO events (id, source, delivery_id, image, event, received_at, status, updated_at, meaning)
       VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?) ON CONFLICT (source, delivery_id) DO NOTHING`,
    )
    this.existingEvent ??= this.db.prepare('SELECT id, status FROM events WHERE source = ? AND delivery_id = ?')
    this.sameMeaning ??= this.db.prepare('SELECT id, status FROM events WHERE meaning = ? ORDER BY id LIMIT 1')
    const insert = this.insertEvent
    const existing = this.existingEvent
    const sameMeaning = this.sameMeaning
    this.eventById ??= this.db.prepare('SELECT 1 FROM events WHERE id = ?')
    const byId = this.eventById
    // A given id another event holds fails that accept alone, not the batch it shares a transaction with.
    let results: (AcceptResult | ValidationError)[]
    try {
      results = this.run(() =>
        this.db.transaction(() =>
          batch.map(({ input }) => {
            const at = input.receivedAt.toISOString()
            const prior = existing.get(input.source, input.deliveryId) as { id: string; status: EventStatus } | undefined
            if (prior) return { id: prior.id, duplicate: 'delivery' as const, status: prior.status }
            const meaning = eventMeaning(input.source, input.event)
            const same = sameMeaning.get(meaning) as { id: string; status: EventStatus } | undefined
            if (same) return { id: same.id, duplicate: 'meaning' as const, status: same.status }
            if (input.id !== undefined && byId.get(input.id)) return takenEventId(input.id)
            const id = input.id ?? this.newId(input.receivedAt.getTime())
            insert.run(id, input.source, input.deliveryId, input.event.image, JSON.stringify(input.event), at, at, meaning)
            return { id, duplicate: false as const, status: 'queued' as const }
          }),
        )(),
      )
    } catch (e) {
      const busy = e instanceof StoreUnavailableError && String((e.cause as { code?: string })?.code).startsWith('SQLITE_BUSY')
      if (busy && (this.busySince === 0 || Date.now() - this.busySince < 5000)) {
        // The worker holds the write lock for a moment: try again soon, without blocking the loop.
        if (this.busySince === 0) this.busySince = Date.now()
        this.queue.unshift(...batch)
        this.retrying = true
        setTimeout(() => this.flushAccepts(), 1)
        return
      }
      this.busySince = 0
      for (const b of batch) b.reject(e)
      return
    }
    this.busySince = 0
    batch.forEach((b, i) => {
      const r = results[i]!
      if (r instanceof ValidationError) b.reject(r)
      else b.resolve(r)
    })
  }

  async get(id: string): Promise<EventRecord | null> {
    const row = this.run(() => this.db.prepare('SELECT * FROM events WHERE id = ?').get(id) as Row | undefined)
    return row ? toRecord(row) : null
  }

  async claim(limit: number, now: Date, opts: WriteOptions = {}): Promise<EventRecord[]> {
    const due = this.db.prepare(`SELECT * FROM events WHERE status = 'queued' OR (status IN ('failed', 'waiting') AND next_attempt_at <= ?) ORDER BY id LIMIT ?`)
    const rows = opts.fence ? this.leases.transaction(opts.fence, () => due.all(now.toISOString(), limit) as Row[]) : this.run(() => due.all(now.toISOString(), limit) as Row[])
    return rows.map(toRecord)
  }

  async markPushing(base: string | null, outcomes: readonly EventOutcome[], opts: WriteOptions = {}): Promise<void> {
    const stmt = this.db.prepare('UPDATE events SET push_base = ?, push_pending = 1, push_outcome = ? WHERE id = ?')
    this.leases.transaction(opts.fence, () => outcomes.forEach((o) => stmt.run(base, JSON.stringify(o), o.id)))
  }

  async finish(results: readonly Finish[], deployments: readonly Deployment[], now: Date, opts: WriteOptions = {}): Promise<void> {
    const at = now.toISOString()
    const final = this.db.prepare(FINISH_SQL.final)
    const retry = this.db.prepare(FINISH_SQL.retry)
    const wait = this.db.prepare(FINISH_SQL.wait)
    const dep = this.db.prepare(insertDeploymentSql(() => '?'))
    // Only the proposal lookups of settle run under the write lock (they must see the rows as they are): the intake waits little.
    const finalArgs = (r: Extract<Finish, { kind: 'final' }>) => {
      const { outcome } = r
      // A pull request may have ended before its batch is written (auto-merge): its targets read as that end.
      const settled = outcome.targets.some((t) => t.status === 'proposed') ? this.proposalQueries.settle(outcome.targets) : null
      const targets = settled?.targets ?? outcome.targets
      const status = settled ? statusAfter(outcome.status, targets) : outcome.status
      const commit = r.commit ?? settled?.mergeCommit ?? null
      return [status, outcome.code ?? null, outcome.reason ?? null, commit, JSON.stringify(targets), eventPullRequest(targets), at, outcome.id]
    }
    const rows = results.map((r) =>
      r.kind === 'final'
        ? { stmt: final, args: () => finalArgs(r) }
        : r.kind === 'wait'
          ? { stmt: wait, args: () => [r.outcome.code ?? null, r.outcome.reason ?? null, r.commit ?? null, JSON.stringify(r.outcome.targets), eventPullRequest(r.outcome.targets), r.retryAt.toISOString(), at, r.outcome.id] }
          : {
            stmt: retry,
            args: () => [r.kind === 'dead' ? 'dead' : 'failed', r.code, r.reason, r.targets ? JSON.stringify(r.targets) : null, r.targets ? 1 : 0, r.targets ? eventPullRequest(r.targets) : null, r.kind === 'retry' && !r.countAttempt ? 0 : 1, r.kind === 'retry' ? r.retryAt.toISOString() : null, at, r.id],
          },
    )
    const deps = deployments.map(deploymentArgs)
    this.leases.transaction(opts.fence, () => {
      for (const r of rows) r.stmt.run(...r.args())
      for (const d of deps) dep.run(...d)
    })
  }

  async lastApplied(keys: readonly TargetKey[]): Promise<Map<string, AppliedRecord>> {
    return sqliteLastApplied(this.db, (fn) => this.run(fn), keys)
  }

  async deployments(q: DeploymentQuery): Promise<DeploymentRecord[]> {
    return sqliteDeployments(this.db, (fn) => this.run(fn), q)
  }

  async list(status: EventStatus, limit: number): Promise<EventRecord[]> {
    const rows = this.run(() => this.db.prepare('SELECT * FROM events WHERE status = ? ORDER BY id DESC LIMIT ?').all(status, limit) as Row[])
    return rows.map(toRecord)
  }

  async retry(id: string, now: Date): Promise<EventRecord | null> {
    const at = now.toISOString()
    this.run(() =>
      this.db
        .prepare(
          `UPDATE events SET status = 'queued', attempts = 0, next_attempt_at = NULL, code = NULL, reason = NULL, updated_at = ?,
             push_pending = CASE WHEN status = 'dead' THEN 0 ELSE push_pending END,
             push_outcome = CASE WHEN status = 'dead' THEN NULL ELSE push_outcome END
           WHERE id = ? AND status IN ('dead', 'failed', 'waiting')`,
        )
        .run(at, id),
    )
    return this.get(id)
  }

  async prune(before: Date): Promise<number> {
    const res = this.run(() =>
      this.db.prepare(`DELETE FROM events WHERE status IN ('applied', 'skipped', 'rejected', 'superseded', 'declined') AND received_at < ?`).run(before.toISOString()),
    )
    return res.changes
  }

  proposals(keys: readonly TargetKey[]): Promise<Map<string, ProposalState>> {
    return this.proposalQueries.proposals(keys)
  }

  openProposals(): Promise<ProposalRecord[]> {
    return this.proposalQueries.openProposals()
  }

  recordProposal(p: ProposalRecord, now: Date, opts: WriteOptions = {}): Promise<void> {
    return this.proposalQueries.recordProposal(p, now, opts.fence)
  }

  async endProposal(service: string, environment: string, number: number, end: ProposalEnd, now: Date, opts: WriteOptions = {}): Promise<EventRecord[]> {
    const ids = await this.proposalQueries.endProposal(service, environment, number, end, now, opts.fence)
    const records = await Promise.all(ids.map((id) => this.get(id)))
    return records.filter((r): r is EventRecord => r !== null)
  }

  async acquireLease(repo: string, owner: string, ttlMs: number, now: Date): Promise<Lease | null> {
    return this.leases.acquireLease(repo, owner, ttlMs, now)
  }

  async renewLease(lease: Lease, ttlMs: number, now: Date): Promise<Lease | null> {
    return this.leases.renewLease(lease, ttlMs, now)
  }

  async releaseLease(lease: Lease): Promise<void> {
    this.leases.releaseLease(lease)
  }

  async counts(): Promise<Record<string, number>> {
    const rows = this.run(() => this.db.prepare('SELECT status, COUNT(*) AS n FROM events GROUP BY status').all() as { status: string; n: number }[])
    return Object.fromEntries(rows.map((r) => [r.status, r.n]))
  }

  async ping(): Promise<void> {
    this.run(() => this.db.prepare('SELECT 1').get())
  }

  async close(): Promise<void> {
    if (this.db?.open) this.db.close()
  }
}
