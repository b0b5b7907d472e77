import type { NotificationTarget } from '../notifications/targets.js'
import type { WindowConfig } from '../windows/deploy-windows.js'
import type { ArgoCdConfig } from './argocd-config.js'

/** A commit's author (the same shape as the git layer's Person). */
export interface Author {
  readonly name: string
  readonly email: string
}

/** The worker settings the config file may give (a part of the worker's own options). */
export interface WorkerSettings {
  readonly batchSize?: number
  readonly maxAttempts?: number
  readonly pushRetries?: number
  readonly pollMs?: number
  readonly retryBaseMs?: number
  readonly retryCapMs?: number
  readonly retentionDays?: number
  /** How often open pull requests are looked at when no webhook said so, in milliseconds; default 30000. */
  readonly prPollMs?: number
  /** How long a repo's lease lasts unless renewed (every third of it), in milliseconds; default 10000. */
  readonly leaseTtlMs?: number
}

/** How infra-sync reaches the forge that hosts the infra repo's pull requests. */
export interface ForgeConfig {
  readonly kind: 'github'
  /** https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server (INFRA_SYNC_GITHUB_API_URL). */
  readonly apiUrl: string
  /** The infra repository, from INFRA_SYNC_REPO's path. */
  readonly owner: string
  readonly repo: string
  /** A token (INFRA_SYNC_GIT_TOKEN) or a GitHub App whose installation tokens are minted and refreshed; the same credentials serve git. */
  readonly auth:
    | { readonly kind: 'token'; readonly token: string }
    | { readonly kind: 'app'; readonly appId: string; readonly privateKey: string; readonly installationId?: number }
  /** Spacing of writes (githubPacing in the config file); absent: GitHub's advice, 1 s between writes, 3 s between those that notify people. */
  readonly pacing?: { readonly writeMs?: number; readonly notificationMs?: number }
}

/** How a source repository hears back about its builds (sources.<repo>.report). */
export type ReportMode = 'status' | 'deployments'

export interface RepoConfig {
  /** One of several repos (`repos:`): its name in logs and /readyz, and its store namespace. Absent: the one repo, in the default namespace. */
  readonly name?: string
  /** An http(s) URL, an SSH URL (ssh://, user@host:path), or a path to a repository on this machine. */
  readonly location: string
  readonly kind: 'http' | 'ssh' | 'local'
  readonly branch: string
  readonly token?: string
  readonly username?: string
  /** How a remote is reached: the built-in smart-HTTP client, or the git binary (always for ssh). Absent: builtin. */
  readonly transport?: 'builtin' | 'cli'
  /** For the git binary over SSH: the private key and the known_hosts to trust (else ssh's own defaults). */
  readonly ssh?: { readonly keyFile?: string; readonly knownHosts?: string }
  /** Set when pull requests can be opened (INFRA_SYNC_FORGE, implied for github.com). */
  readonly forge?: ForgeConfig
}

/** The server's configuration: validated and frozen by loadConfig. */
export interface Config {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  /** The first of `repos` (the one repo, unless `repos:` lists several). */
  readonly repo: RepoConfig
  /** Every infra repo this deployment serves: one worker, lease and store namespace each. */
  readonly repos: readonly RepoConfig[]
  /** The repo is the embedded default, seeded from services/ on first start. */
  readonly embeddedRepo: boolean
  readonly databaseUrl: string
  readonly secrets: {
    readonly bySource: ReadonlyMap<string, readonly string[]>
    readonly fallback: readonly string[]
    /** The fallback secret was generated into the data folder for development. */
    readonly generatedFallbackFile?: string
    /** INFRA_SYNC_GITHUB_SECRET: the infra repo's own hook, or a GitHub App's; verifies deliveries for any repository. */
    readonly github: readonly string[]
    /** Per source repository (normalised), the secrets of that repository's own GitHub hook: they speak only for it. A source may have these, Standard Webhooks secrets (bySource), or both. */
    readonly githubBySource: ReadonlyMap<string, readonly string[]>
  }
  /** INFRA_SYNC_ADMIN_TOKEN: for listing and retrying events from another machine. */
  readonly adminToken?: string
  /** Argo CD's API, for promotion after health (INFRA_SYNC_ARGOCD_URL, _TOKEN, _WEBHOOK_TOKEN); absent: promotions wait. */
  readonly argocd?: ArgoCdConfig
  /** Events per second per source, and the burst allowed above it; perSecond 0 turns the limit off. */
  readonly rateLimit: { readonly perSecond: number; readonly burst: number }
  readonly http: { readonly headersTimeoutMs: number; readonly requestTimeoutMs: number }
  readonly author: Author
  readonly worker: WorkerSettings
  /** Per source repository (normalised owner/repo): how it is told about its builds; absent: not told. */
  readonly sourceReports: ReadonlyMap<string, ReportMode>
  /** Notification targets by name (notifications.targets); empty: none. */
  readonly notifications: ReadonlyMap<string, NotificationTarget>
  /** The server's deploy windows as written (checked by parseWindows at load; plain, so they reach worker threads); empty: none. */
  readonly windows: readonly WindowConfig[]
  /** Normalised sources whose events may say emergency: true (sources.<repo>.emergency). */
  readonly emergencySources: ReadonlySet<string>
  readonly logLevel: string
}

export const MIN_SECRET_BYTES = 24
