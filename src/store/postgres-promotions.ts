import type pg from 'pg'
import { query } from './postgres-connection.js'
import { promotionArgs, promotionSql, toPromotionRecord, type PromotionRecord, type PromotionRow, type PromotionStore } from './promotions.js'

const SQL = promotionSql((i) => `$${i}`)

/** The PostgreSQL store's promotion records (promotions.ts). */
export function postgresPromotions(pool: pg.Pool, where: string): PromotionStore {
  return {
    list: async () => (await query<PromotionRow>(pool, where, SQL.list)).rows.map(toPromotionRecord),
    get: async (service: string, environment: string, value: string) => {
      const row = (await query<PromotionRow>(pool, where, SQL.get, [service, environment, value])).rows[0]
      return row ? toPromotionRecord(row) : null
    },
    set: async (record: PromotionRecord) => void (await query(pool, where, SQL.set, promotionArgs(record))),
    wake: async (ids: readonly string[], now: Date) => {
      let n = 0
      for (const id of ids) n += (await query(pool, where, SQL.wake, [now.toISOString(), id])).rowCount ?? 0
      return n
    },
  }
}
