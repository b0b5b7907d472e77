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
}

export interface RepoConfig {
  /** An http(s) URL, or a path to a repository on this machine. */
  readonly location: string
  readonly kind: 'http' | 'local'
  readonly branch: string
  readonly token?: string
  readonly username?: string
}

/** The server's configuration: validated and frozen by loadConfig. */
export interface Config {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  readonly repo: RepoConfig
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
  /** Events per second per source, and the burst allowed above it; perSecond 0 turns the limit off. */
  readonly rateLimit: { readonly perSecond: number; readonly burst: number }
  readonly http: { readonly headersTimeoutMs: number; readonly requestTimeoutMs: number }
  readonly author: Author
  readonly worker: WorkerSettings
  readonly logLevel: string
}

export const MIN_SECRET_BYTES = 24
