import type pg from 'pg'
import { StoreUnavailableError } from '../core/errors.js'
import { query } from './postgres-connection.js'
import { PostgresListener, type ListenerOptions } from './postgres-listener.js'
import { decodeHint, encodeHint, type ReplicaHint } from './replica-hint.js'

/**
 * A namespace's channel between replicas, on one connection of its own
 * (postgres-listener.ts), opened on the first subscription: events made due
 * (an empty payload; accept and retry notify in their own transaction, so
 * only once committed) and webhook hints (a JSON payload, replica-hint.ts).
 */
export class PostgresNotifications {
  private listener: PostgresListener | null = null
  private closed = false

  constructor(
    private readonly url: string,
    /** eventsChannel's: a constant of this program, never input. */
    private readonly channel: string,
    private readonly pool: pg.Pool,
    private readonly where: string,
    private readonly opts: ListenerOptions,
  ) {}

  onEventsDue(listener: () => void): Promise<() => Promise<void>> {
    // An event's notification is empty; a reconnect (null) may have missed some.
    return this.listen((payload) => (payload ? undefined : listener()))
  }

  onHint(listener: (hint: ReplicaHint) => void): Promise<() => Promise<void>> {
    return this.listen((payload) => {
      const hint = payload ? decodeHint(payload) : null
      if (hint) listener(hint)
    })
  }

  async hint(hint: ReplicaHint): Promise<void> {
    await query(this.pool, this.where, 'SELECT pg_notify($1, $2)', [this.channel, encodeHint(hint)])
  }

  async close(): Promise<void> {
    this.closed = true
    await this.listener?.close()
  }

  private listen(listener: (payload: string | null) => void): Promise<() => Promise<void>> {
    if (this.closed) return Promise.reject(new StoreUnavailableError(`the PostgreSQL store at ${this.where} is closed`))
    this.listener ??= new PostgresListener(this.url, this.channel, this.opts)
    return this.listener.subscribe(listener)
  }
}
