import type pg from 'pg'
import { query } from './postgres-connection.js'
import { pinArgs, pinSql, toPinRecord, type PinRecord, type PinRow, type PinStore } from './pins.js'

const SQL = pinSql((i) => `$${i}`)

/** The PostgreSQL store's pins (pins.ts). */
export function postgresPins(pool: pg.Pool, where: string): PinStore {
  return {
    list: async () => (await query<PinRow>(pool, where, SQL.list)).rows.map(toPinRecord),
    set: async (pin: PinRecord) => void (await query(pool, where, SQL.set, pinArgs(pin))),
    remove: async (service: string, environment: string) => ((await query(pool, where, SQL.remove, [service, environment])).rowCount ?? 0) > 0,
  }
}
