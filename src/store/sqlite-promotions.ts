import type Database from 'better-sqlite3'
import { promotionArgs, promotionSql, toPromotionRecord, type PromotionRecord, type PromotionRow, type PromotionStore } from './promotions.js'

/** Runs a statement, mapping the driver's busy and I/O errors (the store's `run`). */
type Run = <T>(fn: () => T) => T

const SQL = promotionSql(() => '?')

/** The promotions table (user_version 8). */
export const SQLITE_PROMOTIONS = `
CREATE TABLE IF NOT EXISTS promotions (
  service TEXT NOT NULL,
  environment TEXT NOT NULL,
  value TEXT NOT NULL,
  from_environment TEXT NOT NULL,
  from_commit TEXT,
  state TEXT NOT NULL CHECK (state IN ('waiting', 'cleared', 'stopped', 'superseded')),
  reason TEXT,
  healthy_since TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (service, environment, value)
)`

/** The SQLite store's promotion records (promotions.ts). */
export function sqlitePromotions(db: () => Database.Database, run: Run): PromotionStore {
  return {
    list: async () => run(() => db().prepare(SQL.list).all() as PromotionRow[]).map(toPromotionRecord),
    get: async (service: string, environment: string, value: string) => {
      const row = run(() => db().prepare(SQL.get).get(service, environment, value) as PromotionRow | undefined)
      return row ? toPromotionRecord(row) : null
    },
    set: async (record: PromotionRecord) => void run(() => db().prepare(SQL.set).run(...promotionArgs(record))),
    wake: async (ids: readonly string[], now: Date) => ids.reduce((n, id) => n + run(() => db().prepare(SQL.wake).run(now.toISOString(), id)).changes, 0),
  }
}
