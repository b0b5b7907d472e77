import { createHash, randomUUID } from 'node:crypto'
import type pg from 'pg'
import type { EventOutcome, EventStatus } from '../core/change-set.js'
import { StoreUnavailableError } from '../core/errors.js'
import type { AppliedRecord } from '../plan/build-change-set.js'
import { deploymentArgs } from './deployment-rows.js'
import { eventIdFactory } from './event-id.js'
import { openPool, query, storeError } from './postgres-connection.js'
import { pgDeployments, pgLastApplied, pgRecordHealth } from './postgres-history.js'
import { PostgresNotifications } from './postgres-notifications.js'
import type { PostgresStoreOptions } from './postgres-options.js'
import { postgresOutbox } from './postgres-outbox.js'
import { postgresPins } from './postgres-pins.js'
import { postgresPromotions } from './postgres-promotions.js'
import { acquireLease, fencedTransaction, releaseLease, renewLease } from './postgres-leases.js'
import { migrate } from './postgres-migrations.js'
import { PostgresProposals } from './postgres-proposals.js'
import { PostgresRateLimiter } from './postgres-rate-limit.js'
import type { ReplicaHint } from './replica-hint.js'
import { json, pgToRecord, type PgEventRow } from './postgres-rows.js'
import { eventsChannel, notifying, SQL } from './postgres-sql.js'
import { describePostgresUrl } from './postgres-url.js'
import { badEventId, isEventId, postgresSchema, quoteIdent, takenEventId } from './store-namespace.js'
import { statusAfter } from './sqlite-proposals.js'
import { eventPullRequest } from './sqlite-rows.js'
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
  type RateBucketOptions,
  type RateBuckets,
  type Store,
  type TargetKey,
  type WriteOptions,
} from './store.js'

export type { PostgresStoreOptions } from './postgres-options.js'

/**
 * The PostgreSQL store: the SQLite store's behaviour (src/store/sqlite-store.ts)
 * on a database several processes share. Dedupe is enforced by unique
 * constraints, so two processes accepting one delivery answer one id; a
 * claim marks its events (SKIP LOCKED), so two claimers never share one.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres'
  private readonly pool: pg.Pool
  private readonly where: string
  private readonly newId = eventIdFactory()
  /** This store's claims are its own: claiming again returns them, like the SQLite store's read. */
  private readonly claimer = randomUUID()
  private readonly claimTtlMs: number
  private readonly proposalQueries: PostgresProposals
  get pins() { return postgresPins(this.pool, this.where) }
  get outbox() { return postgresOutbox(this.pool, this.where) }
  get promotions() { return postgresPromotions(this.pool, this.where) }
  readonly recordHealth: Store['recordHealth'] = (...args) => pgRecordHealth(this.pool, this.where, ...args)
  /** The lease token this store last claimed under: a new one releases the claims of earlier holders. */
  private claimedUnder: number | undefined
  /** Between replicas (postgres-notifications.ts): events made due and webhook hints. */
  private readonly notifications: PostgresNotifications
  /** The namespace's schema (unquoted), or undefined for the connection's own. */
  private readonly schema: string | undefined
  private readonly channel: string
  private readonly announce: ReturnType<typeof notifying>

  constructor(url: string, opts: PostgresStoreOptions = {}) {
    this.schema = opts.namespace === undefined ? undefined : postgresSchema(opts.namespace)
    this.channel = eventsChannel(opts.namespace)
    this.announce = notifying(this.channel)
    this.where = describePostgresUrl(url) + (this.schema ? ` (schema ${this.schema})` : '')
    this.pool = openPool(url, {
      ...(this.schema && { searchPath: quoteIdent(this.schema) }),
      max: opts.poolSize ?? (opts.role === 'intake' ? 10 : 4),
      ...(opts.connectTimeoutMs !== undefined && { connectTimeoutMs: opts.connectTimeoutMs }),
      ...(opts.queryTimeoutMs !== undefined && { queryTimeoutMs: opts.queryTimeoutMs }),
      ...(opts.idleInTransactionMs !== undefined && { idleInTransactionMs: opts.idleInTransactionMs }),
      ...(opts.onIdleError && { onIdleError: opts.onIdleError }),
    })
    this.claimTtlMs = opts.claimTtlMs ?? 60_000
    this.proposalQueries = new PostgresProposals(this.pool, this.where)
    this.notifications = new PostgresNotifications(url, this.channel, this.pool, this.where, { ...(opts.onIdleError && { onError: opts.onIdleError }), ...opts.listen })
  }

  static fromUrl(url: string, role: 'intake' | 'worker' = 'worker', namespace?: string): PostgresStore {
    return new PostgresStore(url, { role, ...(namespace !== undefined && { namespace }) })
  }

  /** Migrates to the newest schema; replicas starting together wait on one another and apply each step once. */
  async init(): Promise<void> {
    let client: pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (e) {
      throw storeError(e, this.where)
    }
    let broken = false
    // As in inTransaction: a connection that drops mid-migration also emits on the client, which unheard would end the process.
    const onError = () => {
      broken = true
    }
    client.on('error', onError)
    try {
      await migrate(client, undefined, this.schema)
    } catch (e) {
      broken = true
      throw storeError(e, this.where)
    } finally {
      client.off('error', onError)
      client.release(broken)
    }
  }

  /**
   * Durable when it resolves (each statement commits). A conflict on the
   * delivery id or the meaning inserts nothing and the existing row answers;
   * a concurrent insert of the same delivery is waited for by PostgreSQL, so
   * both callers hear the same id.
   */
  async accept(input: AcceptInput): Promise<AcceptResult> {
    if (input.id !== undefined && !isEventId(input.id)) throw badEventId()
    // Hashed: the meaning joins its parts with NUL, which text columns refuse, and the unique index stays small.
    const meaning = createHash('sha256').update(eventMeaning(input.source, input.event)).digest('hex')
    const at = input.receivedAt.toISOString()
    // The row that conflicted may be pruned before it is read: then insert again.
    for (let attempt = 0; ; attempt++) {
      const id = input.id ?? this.newId(input.receivedAt.getTime())
      const inserted = await query(this.pool, this.where, this.announce.insertEvent, [id, input.source, input.deliveryId, input.event.image, json(input.event), meaning, at])
      if (inserted.rowCount === 1) return { id, duplicate: false, status: 'queued' }
      const prior = (await query<{ id: string; status: EventStatus }>(this.pool, this.where, SQL.eventByDelivery, [input.source, input.deliveryId])).rows[0]
      if (prior) return { id: prior.id, duplicate: 'delivery', status: prior.status }
      const same = (await query<{ id: string; status: EventStatus }>(this.pool, this.where, SQL.eventByMeaning, [meaning])).rows[0]
      if (same) return { id: same.id, duplicate: 'meaning', status: same.status }
      // The given id conflicted with another event's (not this delivery's, not this meaning's).
      if (input.id !== undefined && (await query(this.pool, this.where, SQL.event, [input.id])).rowCount) throw takenEventId(input.id)
      if (attempt >= 3) throw new StoreUnavailableError('an accept kept conflicting with rows deleted meanwhile (retention running?)')
    }
  }

  async get(id: string): Promise<EventRecord | null> {
    const row = (await query<PgEventRow>(this.pool, this.where, SQL.event, [id])).rows[0]
    return row ? pgToRecord(row) : null
  }

  async claim(limit: number, now: Date, opts: WriteOptions = {}): Promise<EventRecord[]> {
    const until = new Date(now.getTime() + this.claimTtlMs)
    const params = [now.toISOString(), limit, this.claimer, until.toISOString()]
    const fence = opts.fence
    // The first claim under a new lease token takes over the claims earlier holders left (a killed
    // leader's), rather than waiting them out: only the holder claims, so none of them is live.
    const takeOver = fence !== undefined && fence.token !== this.claimedUnder
    const { rows } = fence
      ? await fencedTransaction(this.pool, this.where, fence, async (c) => {
          if (takeOver) await c.query(SQL.releaseClaims)
          return c.query<PgEventRow>(SQL.claim, params)
        })
      : await query<PgEventRow>(this.pool, this.where, SQL.claim, params)
    if (takeOver) this.claimedUnder = fence.token
    return rows.map(pgToRecord).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  async markPushing(base: string | null, outcomes: readonly EventOutcome[], opts: WriteOptions = {}): Promise<void> {
    await fencedTransaction(this.pool, this.where, opts.fence, async (c) => {
      for (const o of outcomes) await c.query(SQL.markPushing, [base, json(o), o.id])
    })
  }

  async finish(results: readonly Finish[], deployments: readonly Deployment[], now: Date, opts: WriteOptions = {}): Promise<void> {
    const at = now.toISOString()
    await fencedTransaction(this.pool, this.where, opts.fence, async (c) => {
      for (const r of results) {
        if (r.kind === 'final') {
          const { outcome } = r
          // A pull request may have ended before its batch is written (auto-merge): its targets read as that end.
          const settled = outcome.targets.some((t) => t.status === 'proposed') ? await this.proposalQueries.settle(c, outcome.targets) : null
          const targets = settled?.targets ?? outcome.targets
          const status = settled ? statusAfter(outcome.status, targets) : outcome.status
          const commit = r.commit ?? settled?.mergeCommit ?? null
          await c.query(SQL.finishFinal, [status, outcome.code ?? null, outcome.reason ?? null, commit, json(targets), eventPullRequest(targets), at, outcome.id])
        } else if (r.kind === 'wait') {
          const { outcome } = r
          await c.query(SQL.finishWait, [outcome.code ?? null, outcome.reason ?? null, r.commit ?? null, json(outcome.targets), eventPullRequest(outcome.targets), r.retryAt.toISOString(), at, outcome.id])
        } else {
          const targets = r.targets ? json(r.targets) : null
          const pullRequest = r.targets ? eventPullRequest(r.targets) : null
          const counted = r.kind === 'retry' && !r.countAttempt ? 0 : 1
          const retryAt = r.kind === 'retry' ? r.retryAt.toISOString() : null
          await c.query(SQL.finishRetry, [r.kind === 'dead' ? 'dead' : 'failed', r.code, r.reason, targets, r.targets !== undefined, pullRequest, counted, retryAt, at, r.id])
        }
      }
      for (const d of deployments) await c.query(SQL.insertDeployment, deploymentArgs(d))
    })
  }

  lastApplied(keys: readonly TargetKey[]): Promise<Map<string, AppliedRecord>> {
    return pgLastApplied(this.pool, this.where, keys)
  }

  deployments(q: DeploymentQuery): Promise<DeploymentRecord[]> {
    return pgDeployments(this.pool, this.where, q)
  }

  async list(status: EventStatus, limit: number): Promise<EventRecord[]> {
    const { rows } = await query<PgEventRow>(this.pool, this.where, SQL.list, [status, limit])
    return rows.map(pgToRecord)
  }

  async retry(id: string, now: Date): Promise<EventRecord | null> {
    await query(this.pool, this.where, this.announce.retry, [now.toISOString(), id])
    return this.get(id)
  }

  async prune(before: Date): Promise<number> {
    return (await query(this.pool, this.where, SQL.prune, [before.toISOString()])).rowCount ?? 0
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

  /** By the database's clock: `now` is not used (see postgres-leases.ts). */
  acquireLease(repo: string, owner: string, ttlMs: number, _now: Date): Promise<Lease | null> {
    return acquireLease(this.pool, this.where, repo, owner, ttlMs)
  }

  renewLease(lease: Lease, ttlMs: number, _now: Date): Promise<Lease | null> {
    return renewLease(this.pool, this.where, lease, ttlMs)
  }

  releaseLease(lease: Lease): Promise<void> {
    return releaseLease(this.pool, this.where, lease)
  }

  onEventsDue(listener: () => void): Promise<() => Promise<void>> {
    return this.notifications.onEventsDue(listener)
  }

  onHint(listener: (hint: ReplicaHint) => void): Promise<() => Promise<void>> {
    return this.notifications.onHint(listener)
  }

  hint(hint: ReplicaHint): Promise<void> {
    return this.notifications.hint(hint)
  }

  rateLimiter(opts: RateBucketOptions): RateBuckets {
    return new PostgresRateLimiter(this.pool, this.where, opts)
  }

  async counts(): Promise<Record<string, number>> {
    const { rows } = await query<{ status: string; n: number }>(this.pool, this.where, SQL.counts)
    return Object.fromEntries(rows.map((r) => [r.status, r.n]))
  }

  async ping(): Promise<void> {
    await query(this.pool, this.where, 'SELECT 1')
  }

  private closed = false

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.notifications.close()
    await this.pool.end()
  }
}
