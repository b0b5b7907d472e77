import type { InfraSyncError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { WorkerMetrics } from '../observability/metrics.js'
import { backoffMs } from './backoff.js'

/** What readiness says about the infra repo (plain data: it crosses from the worker thread). */
export interface RepoHealth {
  /** The branch has been read from the remote once since this worker started. */
  readonly fetched: boolean
  /** The remote kept failing: the worker leaves it alone until `retryAt`, then one try decides. */
  readonly circuitOpen: boolean
  readonly retryAt?: string
  /** The last failure, `CODE: message` (no credentials: errors never carry them); cleared when the remote answers. */
  readonly lastError?: string
}

export interface CircuitOptions {
  /** Failures in a row before it opens. */
  readonly threshold: number
  readonly baseMs: number
  readonly capMs: number
  readonly random: () => number
  readonly clock: () => Date
  readonly log: Logger
  readonly metrics: WorkerMetrics
  /** Wakes the worker once the wait is over. */
  readonly schedule: (ms: number) => void
  readonly onChange?: (health: RepoHealth) => void
}

/**
 * The remote's circuit: after `threshold` failures in a row (of the remote or
 * the store) the worker stops trying for a backoff that doubles up to the cap;
 * one success closes it. It also knows whether the repo was ever fetched,
 * which is what readiness waits for.
 */
export class RemoteCircuit {
  private failures = 0
  private openUntil = 0
  private fetchedOnce = false
  private lastError: string | undefined

  constructor(private readonly o: CircuitOptions) {}

  /** Failures in a row so far: the backoff of events that wait on the remote. */
  get failureCount(): number {
    return this.failures
  }

  get fetched(): boolean {
    return this.fetchedOnce
  }

  isOpen(): boolean {
    return this.openUntil > this.o.clock().getTime()
  }

  /** The branch was read from the remote. */
  fetchedNow(): void {
    if (this.fetchedOnce) return
    this.fetchedOnce = true
    this.changed()
  }

  /**
   * A fetch failed. Until the first one works this is said in the log: a
   * wrong URL or token (401, 403, 404) at error level with the remote's own
   * answer, so a misconfigured pod says why it is not ready. Errors never
   * carry credentials (see smart-http.ts).
   */
  fetchFailed(e: unknown, repo: string): void {
    if (this.fetchedOnce) return
    const err = e as Partial<InfraSyncError>
    const status = err.data?.status
    const refused = status === 401 || status === 403 || status === 404
    const fields = { code: err.code ?? 'INTERNAL', reason: err.message, repo, ...(status !== undefined && { status }), ...(err.data?.remoteMessage !== undefined && { remoteMessage: err.data.remoteMessage }) }
    if (refused) this.o.log.error(fields, 'the infra repo refused us: check its URL and the token (INFRA_SYNC_REPO, INFRA_SYNC_GIT_TOKEN); not ready until it can be fetched')
    else this.o.log.warn(fields, 'cannot fetch the infra repo yet; not ready until it can be fetched')
  }

  /** The remote (and the store) answered for a whole batch. */
  succeeded(): void {
    if (this.failures === 0 && this.openUntil === 0 && this.lastError === undefined) return
    if (this.failures >= this.o.threshold) {
      this.o.log.info({ failures: this.failures }, 'the remote answers again: circuit closed')
      this.o.metrics.circuit(false)
    }
    this.failures = 0
    this.openUntil = 0
    this.lastError = undefined
    this.changed()
  }

  /** A failure of the remote or the store; opens the circuit once there are enough in a row. */
  failed(e: InfraSyncError): void {
    this.failures++
    // A final answer (dumb HTTP, sha256, 401/403/404): trying again soon cannot help; open at once, readiness says why.
    if (!e.retryable && this.failures < this.o.threshold) this.failures = this.o.threshold
    this.lastError = `${e.code}: ${e.message}`
    if (this.failures >= this.o.threshold) {
      const wait = backoffMs(this.failures - this.o.threshold + 1, this.o.baseMs, this.o.capMs, this.o.random)
      if (this.openUntil === 0) this.o.metrics.circuit(true)
      this.openUntil = this.o.clock().getTime() + wait
      this.o.log.warn({ failures: this.failures, retryInMs: wait, code: e.code }, 'the remote keeps failing: circuit open')
      this.o.schedule(wait)
    }
    this.changed()
  }

  health(): RepoHealth {
    return {
      fetched: this.fetchedOnce,
      circuitOpen: this.failures >= this.o.threshold,
      ...(this.openUntil > 0 && { retryAt: new Date(this.openUntil).toISOString() }),
      ...(this.lastError !== undefined && { lastError: this.lastError }),
    }
  }

  private changed(): void {
    this.o.onChange?.(this.health())
  }
}

/**
 * What /readyz says about the repo: not ready until it was fetched once since
 * start (a misconfigured new pod never takes traffic); after that ready
 * whatever the remote does, `degraded` while the circuit is open.
 */
export function repoReadiness(h: RepoHealth): { readonly ready: boolean; readonly degraded: boolean; readonly check: string } {
  if (!h.fetched) return { ready: false, degraded: false, check: `not fetched yet: ${h.lastError ?? 'the first fetch is under way'}` }
  if (h.circuitOpen) return { ready: true, degraded: true, check: `degraded: circuit open${h.retryAt ? `, next try at ${h.retryAt}` : ''}: ${h.lastError ?? 'the remote keeps failing'}` }
  return { ready: true, degraded: false, check: 'ok' }
}
