import type Database from 'better-sqlite3'
import { outboxArgs, outboxSql, toOutboxMessage, type NewMessage, type OutboxRow, type OutboxStore } from './outbox.js'

/** Runs a statement, mapping the driver's busy and I/O errors (the store's `run`). */
type Run = <T>(fn: () => T) => T

const SQL = outboxSql(() => '?')

/** The outbox table (user_version 6): `seq` orders each (target, key)'s messages. */
export const SQLITE_OUTBOX = `
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  target TEXT NOT NULL,
  key TEXT NOT NULL,
  notice TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_queue ON outbox (target, key, seq)`

/** The SQLite store's outbox (outbox.ts). */
export function sqliteOutbox(db: () => Database.Database, run: Run): OutboxStore {
  return {
    add: async (messages: readonly NewMessage[], now: Date) =>
      run(() => {
        const insert = db().prepare(SQL.insert)
        db().transaction(() => {
          for (const m of messages) insert.run(...outboxArgs(m, now))
        })()
      }),
    due: async (now: Date, limit: number) => run(() => db().prepare(SQL.due).all(now.toISOString(), limit) as OutboxRow[]).map(toOutboxMessage),
    remove: async (id: string) => void run(() => db().prepare(SQL.remove).run(id)),
    retryLater: async (id: string, retryAt: Date, error: string) => void run(() => db().prepare(SQL.retryLater).run(retryAt.toISOString(), error, id)),
  }
}
