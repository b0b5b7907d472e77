import type { ReportMode } from '../config/config.js'
import type { Logger } from '../core/logger.js'
import type { Forge } from '../forges/forge.js'
import type { Remote } from '../git/remote.js'
import type { Person } from '../git/write-commit.js'
import type { WorkerMetrics } from '../observability/metrics.js'
import type { Store } from '../store/store.js'
import type { RepoHealth } from './circuit.js'
import type { DeployWindow } from '../windows/deploy-windows.js'

/** How a worker paces itself; config file `worker.*` overrides these. */
export interface WorkerOptions {
  readonly batchSize: number
  /** Attempts before an event is dead-lettered. */
  readonly maxAttempts: number
  /** Re-plans after a rejected push, within one batch. */
  readonly pushRetries: number
  readonly pollMs: number
  readonly retryBaseMs: number
  readonly retryCapMs: number
  /** Batches failing in a row for the remote's sake before the circuit opens. */
  readonly circuitThreshold: number
  /** Finished events older than this are forgotten (their delivery ids with them); at least 3 days. */
  readonly retentionDays: number
  /** How often open pull requests are looked at when no webhook said so. */
  readonly prPollMs: number
  /**
   * How long the repo's lease lasts unless renewed (every third of it): a
   * killed leader is replaced by another replica within about this long.
   */
  readonly leaseTtlMs: number
  readonly author: Person
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  // Big enough that a burst makes a handful of commits; small enough to keep a batch's memory modest (see bench/findings.md).
  batchSize: 200,
  maxAttempts: 8,
  pushRetries: 10,
  pollMs: 1000,
  retryBaseMs: 1000,
  retryCapMs: 5 * 60_000,
  circuitThreshold: 3,
  retentionDays: 30,
  // A missed pull_request webhook is settled within a minute.
  prPollMs: 30_000,
  // Renewed every 3.3 s: a killed leader is replaced well within 15 s.
  leaseTtlMs: 10_000,
  author: { name: 'infra-sync', email: 'infra-sync@localhost' },
}

/** What a worker is given: I/O at the edges, passed in. */
export interface WorkerDeps {
  readonly store: Store
  readonly remote: Remote
  /** Where pull requests are opened; without one, pull-request targets are skipped. */
  readonly forge?: Forge
  /** Per source: how it hears back about its builds (needs a forge). */
  readonly reports?: ReadonlyMap<string, ReportMode>
  readonly log: Logger
  readonly metrics: WorkerMetrics
  readonly clock?: () => Date
  readonly random?: () => number
  readonly sleep?: (ms: number) => Promise<void>
  readonly options?: Partial<WorkerOptions>
  /** Told whenever the known head of the remote changes (readiness shows it). */
  readonly onHead?: (head: string | null | undefined) => void
  /** Told whenever the repo's health changes: fetched once, circuit open or closed, the last failure (readiness shows it). */
  readonly onRepoHealth?: (health: RepoHealth) => void
  /** Told when this worker becomes or stops being the repo's leader (holds its lease); readiness shows it. */
  readonly onLeader?: (leader: boolean) => void
  /** The repo's lease key; default the remote's description (no credentials) + '#' + branch. */
  readonly leaseKey?: string
  /** The lease owner; default `${hostname}:${pid}:${random}`. */
  readonly leaseOwner?: string
  /** Crash tests: kills the process at a named point (see failpoints.ts); tests may hold the worker there. */
  readonly failpoint?: (name: string) => void | Promise<void>
  /** Delivers the notifications outbox while this worker leads (notifier.ts); absent: no targets configured. */
  readonly notifier?: { drain(): Promise<number> }
  /** The server's deploy windows, for targets whose service and environment name none; absent: none. */
  readonly windows?: readonly DeployWindow[]
  /** The infra repo's commit pages, for notifications. */
  readonly commitUrl?: ((sha: string) => string | undefined) | undefined
}
