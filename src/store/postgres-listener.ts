import pg from 'pg'
import { StoreUnavailableError } from '../core/errors.js'
import { checkPostgresUrl } from './postgres-url.js'

export interface ListenerOptions {
  /** The first wait before reconnecting after a lost connection; it doubles up to maxBackoffMs. */
  readonly minBackoffMs?: number
  readonly maxBackoffMs?: number
  /** How often the idle connection is checked (it re-runs LISTEN): a cut network sends no reset, and this is how it is noticed. */
  readonly heartbeatMs?: number
  readonly connectTimeoutMs?: number
  /** Errors of the connection (each is followed by a reconnect); for the log. */
  readonly onError?: (e: unknown) => void
}

/**
 * One connection of its own (a pooled one would be handed to other queries
 * and lose the LISTEN) that listens on `channel` and calls every subscriber
 * on each notification. After a lost connection it reconnects with capped
 * backoff and then calls the subscribers once: notifications sent while it
 * was away are gone, and a subscriber (the worker) then looks for itself.
 */
export class PostgresListener {
  /** Called with each notification's payload ('' for an event), or null after a reconnect (anything may have been missed). */
  private readonly listeners = new Set<(payload: string | null) => void>()
  private client: pg.Client | null = null
  private retryTimer: NodeJS.Timeout | null = null
  private heartbeat: NodeJS.Timeout | null = null
  private backoffMs: number
  private closed = false
  /** Settles when the current connection attempt has listened or failed. */
  private starting: Promise<void> | null = null

  constructor(
    private readonly url: string,
    /** A constant of this program (EVENTS_CHANNEL), never input: LISTEN takes no parameter, so it is spliced into the statement. */
    private readonly channel: string,
    private readonly opts: ListenerOptions = {},
  ) {
    checkPostgresUrl(url)
    this.backoffMs = opts.minBackoffMs ?? 100
  }

  /** Resolves once listening, or once a first attempt failed (it keeps trying); resolves to unsubscribe. */
  async subscribe(listener: (payload: string | null) => void): Promise<() => Promise<void>> {
    if (this.closed) throw new StoreUnavailableError('the store is closed: nothing is listened to')
    this.listeners.add(listener)
    if (!this.client && !this.retryTimer && !this.starting) this.starting = this.connect(false)
    await this.starting
    return async () => {
      this.listeners.delete(listener)
      if (this.listeners.size === 0) await this.stop()
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.listeners.clear()
    await this.stop()
  }

  private async connect(recovering: boolean): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      keepAlive: true,
      connectionTimeoutMillis: this.opts.connectTimeoutMs ?? 5000,
      query_timeout: 10_000,
      application_name: 'infra-sync-listen',
    })
    // Set before connecting: a failure at any point is heard once, and only for the current client.
    client.on('error', (e) => this.lost(client, e))
    client.on('end', () => this.lost(client, new Error('the listen connection ended')))
    client.on('notification', (m) => this.notify(m.payload ?? ''))
    this.client = client
    try {
      await client.connect()
      await client.query(`LISTEN ${this.channel}`)
    } catch (e) {
      this.lost(client, e)
      return
    } finally {
      this.starting = null
    }
    if (this.client !== client) return
    this.backoffMs = this.opts.minBackoffMs ?? 100
    this.heartbeat = setInterval(() => {
      client.query(`LISTEN ${this.channel}`).catch((e: unknown) => this.lost(client, e))
    }, this.opts.heartbeatMs ?? 15_000)
    this.heartbeat.unref()
    if (recovering) this.notify(null)
  }

  /** The current connection failed: drop it and try again later (each client is handled once). */
  private lost(client: pg.Client, e: unknown): void {
    if (this.client !== client) return
    this.client = null
    this.clearHeartbeat()
    client.end().catch(() => undefined)
    if (this.closed || this.listeners.size === 0) return
    this.opts.onError?.(e)
    const wait = this.backoffMs
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 5000)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      this.starting = this.connect(true)
    }, wait)
  }

  private notify(payload: string | null): void {
    for (const l of [...this.listeners]) {
      try {
        l(payload)
      } catch (e) {
        // One subscriber's throw must not keep the others from hearing, nor end the connection.
        this.opts.onError?.(e)
      }
    }
  }

  private clearHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat)
    this.heartbeat = null
  }

  private async stop(): Promise<void> {
    // An attempt under way finishes first (it may set a heartbeat or a retry): then all of it is undone.
    await this.starting
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    this.clearHeartbeat()
    const client = this.client
    this.client = null
    if (client) await client.end().catch(() => undefined)
  }
}
