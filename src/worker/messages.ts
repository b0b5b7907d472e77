import type { ReportMode, RepoConfig } from '../config/config.js'
import type { NotificationTarget } from '../notifications/targets.js'
import type { Person } from '../git/write-commit.js'
import type { WindowConfig } from '../windows/deploy-windows.js'
import type { RepoHealth } from './circuit.js'
import type { Problem, ServiceRow } from './service-view.js'
import type { WorkerOptions } from './worker-options.js'

/** What the worker thread needs to run: plain, cloneable values. */
export interface WorkerThreadConfig {
  readonly repo: RepoConfig
  readonly dataDir: string
  readonly databaseUrl: string
  readonly author: Person
  readonly worker: Partial<WorkerOptions>
  /** Per source (normalised owner/repo), how it hears about its builds; a Map survives the structured clone. */
  readonly sourceReports: ReadonlyMap<string, ReportMode>
  /** Notification targets by name (notifications.targets); absent or empty: none. */
  readonly notifications?: ReadonlyMap<string, NotificationTarget>
  /** The server's deploy windows as written (compiled in the thread: a Cron does not survive the clone); absent or empty: none. */
  readonly windows?: readonly WindowConfig[]
  /** Argo CD, for promotion after health; absent: promotions wait, saying so. */
  readonly argocd?: { readonly url: string; readonly token: string; readonly pollMs: number }
}

export type ToWorker =
  | { readonly type: 'wake' }
  | { readonly type: 'refresh' }
  | { readonly type: 'stop' }
  | { readonly type: 'idle'; readonly ticket: number }
  | { readonly type: 'example'; readonly ticket: number }
  /** What runs where (`status`): every service, or only `service`; answered with a ServicesReply. */
  | { readonly type: 'services'; readonly ticket: number; readonly service?: string }
  /** A pull_request webhook: this pull request was merged or closed. */
  | { readonly type: 'pull-request'; readonly number: number }
  /** Argo CD notifications: this Application changed; look at its promotions now. */
  | { readonly type: 'argocd'; readonly application: string }

export type FromWorker =
  | { readonly type: 'ready'; readonly head: string | null | undefined }
  | { readonly type: 'fatal'; readonly error: { readonly code?: string; readonly message: string } }
  | { readonly type: 'head'; readonly head: string | null | undefined }
  | { readonly type: 'repo'; readonly health: RepoHealth }
  /** Whether the thread's worker holds the repo's lease: told once the store first answered, then on every change. */
  | { readonly type: 'leader'; readonly leader: boolean }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error' | 'debug'; readonly obj: object; readonly msg?: string }
  | { readonly type: 'metric'; readonly name: 'batch' | 'heap' | 'push' | 'commit' | 'eventToCommit' | 'finished' | 'circuit' | 'forgeRequests'; readonly arg?: string | number }
  | { readonly type: 'reply'; readonly ticket: number; readonly value: unknown }
  | { readonly type: 'stopped' }

/** The rows of one repo at the head they were read from, or why there are none (WORKER_NOT_READY: no head known yet). */
export type ServicesReply = { readonly head: string | null; readonly rows: readonly ServiceRow[] } | { readonly error: Problem }
