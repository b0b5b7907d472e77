import type { Person } from '../git/write-commit.js'
import type { WorkerOptions } from '../worker/worker.js'

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
    /** Per source repository, the secret of that repository's own GitHub hook: speaks only for it. */
    readonly githubBySource: ReadonlyMap<string, readonly string[]>
  }
  /** INFRA_SYNC_ADMIN_TOKEN: for listing and retrying events from another machine. */
  readonly adminToken?: string
  /** Events per second per source, and the burst allowed above it; perSecond 0 turns the limit off. */
  readonly rateLimit: { readonly perSecond: number; readonly burst: number }
  readonly http: { readonly headersTimeoutMs: number; readonly requestTimeoutMs: number }
  readonly author: Person
  readonly worker: Partial<WorkerOptions>
  readonly logLevel: string
}

export const MIN_SECRET_BYTES = 24
