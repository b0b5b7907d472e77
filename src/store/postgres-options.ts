import type { ListenerOptions } from './postgres-listener.js'

/** How a PostgresStore connects, claims and listens (postgres-store.ts). */
export interface PostgresStoreOptions {
  readonly role?: 'intake' | 'worker'
  /** How long a claim keeps others off its events when its claimer neither finishes nor claims again (it died). */
  readonly claimTtlMs?: number
  readonly poolSize?: number
  readonly connectTimeoutMs?: number
  readonly queryTimeoutMs?: number
  /** How long the server keeps a transaction whose client went silent, and so the lease row a fenced write locks. */
  readonly idleInTransactionMs?: number
  readonly onIdleError?: (e: unknown) => void
  /** The LISTEN connection of onEventsDue (backoff, heartbeat, its errors: each is followed by a reconnect). */
  readonly listen?: ListenerOptions
  /**
   * One infra repo's part of the database: its tables in schema infra_sync_<namespace> (store-namespace.ts),
   * which every pooled connection searches alone, and its own NOTIFY channel. Absent: the connection's search_path.
   */
  readonly namespace?: string
}
