import type pg from 'pg'
import { query } from './postgres-connection.js'
import { SQL } from './postgres-sql.js'
import type { RateBucketOptions, RateBuckets } from './store.js'

/**
 * Token buckets in the database (table rate_buckets), one per key for every
 * replica: a source spread over replicas by a load balancer gets its limit
 * once, not once per replica. Times are the database's, so replicas' clocks
 * do not matter. A database that cannot be reached fails the take with
 * StoreUnavailableError (the accept behind it would fail the same way):
 * there is no local fallback that would let a flood through.
 */
export class PostgresRateLimiter implements RateBuckets {
  constructor(
    private readonly pool: pg.Pool,
    private readonly where: string,
    private readonly opts: RateBucketOptions,
  ) {}

  async take(key: string): Promise<number> {
    // perSecond 0 turns the limit off (as in MemoryRateLimiter): no round trip.
    if (this.opts.perSecond <= 0) return 0
    const { rows } = await query<{ tokens: number; taken: boolean }>(this.pool, this.where, SQL.takeToken, [key, this.opts.burst, this.opts.perSecond])
    const row = rows[0]!
    if (row.taken) return 0
    // The row holds the count less one (see SQL.takeToken): the bucket itself holds tokens + 1.
    return Math.max(1, Math.ceil(-row.tokens / this.opts.perSecond))
  }
}
