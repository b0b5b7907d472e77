import type Database from 'better-sqlite3'
import { pinArgs, pinSql, toPinRecord, type PinRecord, type PinRow, type PinStore } from './pins.js'

/** Runs a statement, mapping the driver's busy and I/O errors (the store's `run`). */
type Run = <T>(fn: () => T) => T

const SQL = pinSql(() => '?')

/** The pins table (user_version 5). */
export const SQLITE_PINS = `
CREATE TABLE IF NOT EXISTS pins (
  service TEXT NOT NULL,
  environment TEXT NOT NULL,
  value TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('rollback', 'manual')),
  reason TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (service, environment)
)`

/** The SQLite store's pins (pins.ts). */
export function sqlitePins(db: () => Database.Database, run: Run): PinStore {
  return {
    list: async () => run(() => db().prepare(SQL.list).all() as PinRow[]).map(toPinRecord),
    set: async (pin: PinRecord) => void run(() => db().prepare(SQL.set).run(...pinArgs(pin))),
    remove: async (service: string, environment: string) => run(() => db().prepare(SQL.remove).run(service, environment)).changes > 0,
  }
}
