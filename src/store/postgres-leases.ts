import type pg from 'pg'
import { LeaseLostError } from '../core/errors.js'
import { inTransaction, query } from './postgres-connection.js'
import type { Fence, Lease } from './store.js'

/**
 * The leases of the PostgreSQL store. Expiry is the database's clock
 * (now()), never a replica's: replicas whose clocks disagree still agree on
 * who holds a repo. The row is never deleted, so its token only grows.
 */
const SQL = {
  /**
   * Free or expired: the caller takes it with the next token; held by the
   * caller: renewed with the same token; held by another: no row. Two racing
   * acquirers meet on the primary key, and the second re-checks the winner's row.
   */
  acquire: `INSERT INTO leases AS l (repo, owner, token, expires_at) VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')
    ON CONFLICT (repo) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
      token = CASE WHEN l.owner = excluded.owner AND l.expires_at > now() THEN l.token ELSE l.token + 1 END
    WHERE l.expires_at <= now() OR l.owner = excluded.owner
    RETURNING repo, owner, token::text AS token, expires_at`,
  renew: `UPDATE leases SET expires_at = now() + $4 * interval '1 millisecond' WHERE repo = $1 AND owner = $2 AND token = $3
    RETURNING repo, owner, token::text AS token, expires_at`,
  release: 'UPDATE leases SET expires_at = now() WHERE repo = $1 AND owner = $2 AND token = $3 AND expires_at > now()',
  /**
   * FOR SHARE: a takeover (an UPDATE of the row) waits until the fenced write
   * commits, so no write under the old token can land after the new holder
   * has its token; the holder's own writes do not wait on one another.
   */
  fence: 'SELECT token::text AS token FROM leases WHERE repo = $1 FOR SHARE',
} as const

interface LeaseRow {
  repo: string
  owner: string
  token: string
  expires_at: Date
}

const toLease = (r: LeaseRow | undefined): Lease | null =>
  r ? { repo: r.repo, owner: r.owner, token: Number(r.token), expiresAt: r.expires_at.toISOString() } : null

export async function acquireLease(pool: pg.Pool, where: string, repo: string, owner: string, ttlMs: number): Promise<Lease | null> {
  return toLease((await query<LeaseRow>(pool, where, SQL.acquire, [repo, owner, ttlMs])).rows[0])
}

export async function renewLease(pool: pg.Pool, where: string, lease: Lease, ttlMs: number): Promise<Lease | null> {
  return toLease((await query<LeaseRow>(pool, where, SQL.renew, [lease.repo, lease.owner, lease.token, ttlMs])).rows[0])
}

export async function releaseLease(pool: pg.Pool, where: string, lease: Lease): Promise<void> {
  await query(pool, where, SQL.release, [lease.repo, lease.owner, lease.token])
}

/** Throws LeaseLostError unless the repo's lease still has the fence's token; the first statement of a fenced transaction. */
export async function checkFence(c: pg.PoolClient, fence: Fence | undefined): Promise<void> {
  if (!fence) return
  const row = (await c.query<{ token: string }>(SQL.fence, [fence.repo])).rows[0]
  const current = row ? Number(row.token) : undefined
  if (current !== fence.token) {
    throw new LeaseLostError(`the lease of ${fence.repo} has another holder now: this write was not made`, {
      repo: fence.repo,
      token: fence.token,
      ...(current !== undefined && { current }),
    })
  }
}

/** inTransaction, with the fence (when given) checked first: a lost lease rolls the whole write back. */
export function fencedTransaction<T>(pool: pg.Pool, where: string, fence: Fence | undefined, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(pool, where, async (c) => {
    await checkFence(c, fence)
    return fn(c)
  })
}
