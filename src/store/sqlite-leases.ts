import type Database from 'better-sqlite3'
import { LeaseLostError } from '../core/errors.js'
import type { Fence, Lease } from './store.js'

interface LeaseRow {
  repo: string
  owner: string
  token: number
  expires_at: string
}

const toLease = (r: LeaseRow | undefined): Lease | null => (r ? { repo: r.repo, owner: r.owner, token: r.token, expiresAt: r.expires_at } : null)

/**
 * The leases of the SQLite store: the PostgreSQL rules (postgres-leases.ts)
 * timed by the caller's `now`, which is right for the one process a SQLite
 * file serves. Times are ISO strings of one format, so they compare as text.
 */
export class SqliteLeases {
  private readonly acquire: Database.Statement
  private readonly renew: Database.Statement
  private readonly release: Database.Statement
  private readonly current: Database.Statement

  constructor(
    private readonly db: Database.Database,
    private readonly run: <T>(fn: () => T) => T,
  ) {
    // $now is the caller's now; $until is now + ttl.
    this.acquire = db.prepare(
      `INSERT INTO leases AS l (repo, owner, token, expires_at) VALUES ($repo, $owner, 1, $until)
       ON CONFLICT (repo) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
         token = CASE WHEN l.owner = excluded.owner AND l.expires_at > $now THEN l.token ELSE l.token + 1 END
       WHERE l.expires_at <= $now OR l.owner = excluded.owner
       RETURNING repo, owner, token, expires_at`,
    )
    this.renew = db.prepare('UPDATE leases SET expires_at = $until WHERE repo = $repo AND owner = $owner AND token = $token RETURNING repo, owner, token, expires_at')
    // The epoch, not the wall clock: released reads as expired whatever `now` the holder's caller passes next.
    this.release = db.prepare(`UPDATE leases SET expires_at = '1970-01-01T00:00:00.000Z' WHERE repo = $repo AND owner = $owner AND token = $token`)
    this.current = db.prepare('SELECT token FROM leases WHERE repo = ?')
  }

  acquireLease(repo: string, owner: string, ttlMs: number, now: Date): Lease | null {
    const until = new Date(now.getTime() + ttlMs).toISOString()
    return toLease(this.run(() => this.acquire.get({ repo, owner, until, now: now.toISOString() }) as LeaseRow | undefined))
  }

  renewLease(lease: Lease, ttlMs: number, now: Date): Lease | null {
    const until = new Date(now.getTime() + ttlMs).toISOString()
    return toLease(this.run(() => this.renew.get({ repo: lease.repo, owner: lease.owner, token: lease.token, until }) as LeaseRow | undefined))
  }

  releaseLease(lease: Lease): void {
    this.run(() => this.release.run({ repo: lease.repo, owner: lease.owner, token: lease.token }))
  }

  /** Throws LeaseLostError unless the repo's lease still has the fence's token. */
  check(fence: Fence | undefined): void {
    if (!fence) return
    const current = (this.current.get(fence.repo) as { token: number } | undefined)?.token
    if (current !== fence.token) {
      throw new LeaseLostError(`the lease of ${fence.repo} has another holder now: this write was not made`, {
        repo: fence.repo,
        token: fence.token,
        ...(current !== undefined && { current }),
      })
    }
  }

  /**
   * Runs fn in one transaction, the fence checked first. A fenced one is
   * IMMEDIATE: it takes the write lock before its check, so the intake's
   * writes cannot make its snapshot stale between the check and the write.
   */
  transaction<T>(fence: Fence | undefined, fn: () => T): T {
    const tx = this.db.transaction(() => {
      this.check(fence)
      return fn()
    })
    return this.run(() => (fence ? tx.immediate() : tx()))
  }
}
