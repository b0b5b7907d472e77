import type { Notice } from '../notifications/notice.js'
import { eventIdFactory } from './event-id.js'

const messageId = eventIdFactory()

/**
 * One notification waiting to be delivered to one target. Messages of one
 * (target, key) (the key is the service) go out in the order they were
 * added: only the oldest of each is ever due, so a failing one holds back
 * the ones after it rather than being overtaken.
 */
export interface OutboxMessage {
  /** The message's own id: the generic webhook's `webhook-id`, the same on every try. */
  readonly id: string
  readonly target: string
  readonly key: string
  readonly notice: Notice
  readonly attempts: number
  readonly nextAttemptAt: string
  readonly createdAt: string
  readonly lastError?: string
}

export interface NewMessage {
  readonly target: string
  readonly key: string
  readonly notice: Notice
}

/** The store's durable outbox of notifications. */
export interface OutboxStore {
  add(messages: readonly NewMessage[], now: Date): Promise<void>
  /** The oldest message of each (target, key) that is due by `now`, oldest first. */
  due(now: Date, limit: number): Promise<OutboxMessage[]>
  /** Delivered (or given up on): gone, so the next of its (target, key) becomes due. */
  remove(id: string): Promise<void>
  /** Not delivered: tried again at `retryAt`. */
  retryLater(id: string, retryAt: Date, error: string): Promise<void>
}

/** An outbox row as either store reads it (PostgreSQL: jsonb as an object, timestamptz as Date). */
export interface OutboxRow {
  id: string
  target: string
  key: string
  notice: string | Notice
  attempts: number
  next_attempt_at: string | Date
  created_at: string | Date
  last_error: string | null
}

const iso = (v: string | Date) => (v instanceof Date ? v.toISOString() : v)

export function toOutboxMessage(r: OutboxRow): OutboxMessage {
  return {
    id: r.id,
    target: r.target,
    key: r.key,
    notice: typeof r.notice === 'string' ? (JSON.parse(r.notice) as Notice) : r.notice,
    attempts: r.attempts,
    nextAttemptAt: iso(r.next_attempt_at),
    createdAt: iso(r.created_at),
    ...(r.last_error !== null && { lastError: r.last_error }),
  }
}

/** A new message's row values, in the order of `insert` below. */
export const outboxArgs = (m: NewMessage, now: Date) => [`msg_${messageId(now.getTime())}`, m.target, m.key, JSON.stringify(m.notice), now.toISOString(), now.toISOString()]

/** The statements both stores run, with `p(i)` for the i-th value (SQLite `?`, PostgreSQL `$i`). */
export function outboxSql(p: (i: number) => string) {
  return {
    insert: `INSERT INTO outbox (id, target, key, notice, next_attempt_at, created_at) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)})`,
    due: `SELECT o.id, o.target, o.key, o.notice, o.attempts, o.next_attempt_at, o.created_at, o.last_error FROM outbox o
      WHERE o.seq = (SELECT MIN(x.seq) FROM outbox x WHERE x.target = o.target AND x.key = o.key) AND o.next_attempt_at <= ${p(1)}
      ORDER BY o.seq LIMIT ${p(2)}`,
    remove: `DELETE FROM outbox WHERE id = ${p(1)}`,
    // Values in the order they appear: SQLite's `?` binds by position.
    retryLater: `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ${p(1)}, last_error = ${p(2)} WHERE id = ${p(3)}`,
  }
}
