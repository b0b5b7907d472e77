import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { LeaseLostError, type InfraSyncError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { Fence, Lease, Store } from '../store/store.js'

export interface RepoLeaseDeps {
  readonly store: Store
  readonly log: Logger
  /** Names the repo when leaseKey does not: its description (no credentials) + '#' + branch. */
  readonly remote: { readonly description: string; readonly branch: string }
  /** The repo's key in the leases table. */
  readonly leaseKey?: string
  /** Unique per process and worker (the same owner acquiring again renews); default leaseOwner(), or SQLITE_OWNER. */
  readonly leaseOwner?: string
  readonly ttlMs: number
  /** The `now` passed to the store (SQLite times leases by it; PostgreSQL by its own clock). */
  readonly clock: () => Date
  /** Elapsed time on this machine, never set back: how long a lease is surely still ours. */
  readonly monotonic?: () => number
  /** Told when this worker becomes or stops being the repo's leader. */
  readonly onChange?: (leader: boolean) => void
}

/** `${hostname}:${pid}:${random}`: two workers never share an owner, even in one process. */
export const leaseOwner = (): string => `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`

/**
 * A SQLite file serves one process (its store's contract), so its worker is
 * always the same owner: a restart after a crash (or of the worker thread)
 * renews the lease at once rather than waiting out the dead one's.
 */
export const SQLITE_OWNER = 'the-one-process'

/**
 * This worker's hold on its repo's lease. The store decides who holds it;
 * locally the lease counts as held only until the time its last successful
 * acquire or renewal started plus the TTL, so a worker whose store went
 * silent stops before anyone else can have taken over.
 */
export class RepoLease {
  private lease: Lease | null = null
  /** Monotonic time until which the lease is surely ours. */
  private validUntil = 0
  private renewing: Promise<void> | undefined
  private timer: ReturnType<typeof setInterval> | undefined
  private readonly monotonic: () => number
  private readonly repo: string
  private readonly owner: string
  /** What onChange last said; undefined until the first answer of the store. */
  private told: boolean | undefined

  constructor(private readonly deps: RepoLeaseDeps) {
    this.monotonic = deps.monotonic ?? (() => performance.now())
    this.repo = deps.leaseKey ?? `${deps.remote.description}#${deps.remote.branch}`
    this.owner = deps.leaseOwner ?? (deps.store.kind === 'sqlite' ? SQLITE_OWNER : leaseOwner())
  }

  /** Renewals and tries to acquire are this often: a third of the TTL, so two can fail before it expires. */
  get intervalMs(): number {
    return Math.max(1, Math.floor(this.deps.ttlMs / 3))
  }

  get held(): boolean {
    if (this.lease && this.monotonic() >= this.validUntil) this.lost('expired before it could be renewed')
    return this.lease !== null
  }

  /** What a batch passes to its writes; undefined when the lease is not held. */
  get fence(): Fence | undefined {
    return this.held ? { repo: this.lease!.repo, token: this.lease!.token } : undefined
  }

  /** Throws LeaseLostError when the lease is no longer surely held (before a step that no fence guards: a push). */
  check(fence: Fence): void {
    const current = this.fence
    if (current?.token === fence.token) return
    throw new LeaseLostError(`the lease of ${fence.repo} was lost during the batch`, { repo: fence.repo, token: fence.token })
  }

  /** Renews on its own timer, a third of the TTL apart: a renewal never waits for a batch (a push may be slow). */
  startRenewals(): void {
    this.timer ??= setInterval(() => void this.renew(), this.intervalMs)
    this.timer.unref?.()
  }

  stopRenewals(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /**
   * A batch's write was refused for a lost lease: the lease is forgotten and
   * the batch ends with nothing written (not even a retry: the new leader owns
   * the events and settles any push from the remote's history). Any other
   * error is thrown on.
   */
  refused(e: unknown, events: number): never[] {
    if (!(e instanceof LeaseLostError)) throw e
    this.deps.log.warn({ code: e.code, events }, 'the repo lease was lost mid-batch; its events are left to the new leader')
    this.lost('a fenced write was refused')
    return []
  }

  /** Takes the lease when free, renews it when held; the fence when held afterwards. */
  async acquire(): Promise<Fence | undefined> {
    // Held: renewed rather than acquired, which after an unnoticed expiry would take a new token and fence off this worker's own batch.
    if (this.lease) {
      if (this.monotonic() >= this.validUntil - (this.deps.ttlMs * 2) / 3) await this.renew()
      return this.fence
    }
    const started = this.monotonic()
    let got: Lease | null
    try {
      got = await this.deps.store.acquireLease(this.repo, this.owner, this.deps.ttlMs, this.deps.clock())
    } catch (e) {
      this.deps.log.warn({ code: (e as InfraSyncError).code, repo: this.repo }, 'could not ask for the repo lease; trying again')
      return this.fence
    }
    if (!got) {
      this.tell(false)
      return undefined
    }
    this.keep(got, started)
    this.deps.log.info({ repo: got.repo, token: got.token }, 'took the repo lease: this worker is the leader')
    this.tell(true)
    return this.fence
  }

  /** Extends a held lease; a renewal that comes back empty, or fails until the lease expired, loses it. */
  renew(): Promise<void> {
    this.renewing ??= this.renewOnce().finally(() => (this.renewing = undefined))
    return this.renewing
  }

  private async renewOnce(): Promise<void> {
    const lease = this.lease
    if (!lease) return
    const started = this.monotonic()
    try {
      const renewed = await this.deps.store.renewLease(lease, this.deps.ttlMs, this.deps.clock())
      if (this.lease !== lease) return
      if (renewed) this.keep(renewed, started)
      else this.lost('taken over by another worker')
    } catch (e) {
      this.deps.log.warn({ code: (e as InfraSyncError).code, repo: lease.repo }, 'renewing the repo lease failed; trying again')
      void this.held
    }
  }

  /** A fenced write was refused, or the lease ran out: forget it; the worker tries to acquire it again. */
  lost(why: string): void {
    const lease = this.lease
    if (!lease) return
    this.lease = null
    this.validUntil = 0
    this.deps.log.warn({ code: 'LEASE_LOST', repo: lease.repo, token: lease.token, reason: why }, 'lost the repo lease: this worker stops until it holds it again')
    this.tell(false)
  }

  /** Lets another worker take over at once (on stop). */
  async release(): Promise<void> {
    const lease = this.lease
    if (!lease) return
    this.lease = null
    this.validUntil = 0
    this.tell(false)
    await this.deps.store.releaseLease(lease).catch((e: InfraSyncError) => this.deps.log.warn({ code: e.code }, 'could not release the repo lease; it expires on its own'))
  }

  private tell(leader: boolean): void {
    if (this.told === leader) return
    this.told = leader
    this.deps.onChange?.(leader)
  }

  private keep(lease: Lease, started: number): void {
    this.lease = lease
    this.validUntil = started + this.deps.ttlMs
  }
}
