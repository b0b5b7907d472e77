import type pg from 'pg'
import { query } from './postgres-connection.js'
import { outboxArgs, outboxSql, toOutboxMessage, type NewMessage, type OutboxRow, type OutboxStore } from './outbox.js'

const SQL = outboxSql((i) => `$${i}`)

/** The PostgreSQL store's outbox (outbox.ts). */
export function postgresOutbox(pool: pg.Pool, where: string): OutboxStore {
  return {
    add: async (messages: readonly NewMessage[], now: Date) => {
      if (messages.length === 0) return
      // One statement: every message of a batch is added, or none.
      const rows = messages.map((m) => outboxArgs(m, now))
      const values = rows.map((_, r) => `(${[1, 2, 3, 4, 5, 6].map((c) => `$${r * 6 + c}`).join(', ')})`).join(', ')
      await query(pool, where, `INSERT INTO outbox (id, target, key, notice, next_attempt_at, created_at) VALUES ${values}`, rows.flat())
    },
    due: async (now: Date, limit: number) => (await query<OutboxRow>(pool, where, SQL.due, [now, limit])).rows.map(toOutboxMessage),
    remove: async (id: string) => void (await query(pool, where, SQL.remove, [id])),
    retryLater: async (id: string, retryAt: Date, error: string) => void (await query(pool, where, SQL.retryLater, [retryAt, error, id])),
  }
}
