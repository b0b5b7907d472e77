export interface FakeGitHubOptions {
  /** The infra repository, default acme/infra. */
  owner?: string
  repo?: string
  /** Initial content of the base branch (one commit). */
  files: Record<string, string>
  /** Default main. */
  branch?: string
  /** A PAT: accepted as `Authorization: token X` / `Bearer X` on the API and as the Basic password on git. */
  token?: string
  /** The login the PAT belongs to (default infra-sync-bot). */
  tokenLogin?: string
  /**
   * GitHub App: a JWT (RS256, iss = id) verified with publicKeyPem buys installation tokens; they expire after
   * tokenTtlMs (default 1 h), after which API and git answer 401.
   */
  app?: { id: number; installationId: number; publicKeyPem: string; tokenTtlMs?: number; slug?: string }
  /** PRs are not mergeable (mergeable_state "blocked") until passChecks(n) for their current head. */
  requiredChecks?: boolean
  /** A pre-receive hook refuses pushes to the base branch with "GH006: Protected branch update failed". */
  protectMain?: boolean
  /** Secondary rate limit: more than `requests` API requests in a fixed window → 403 with retry-after: 1. */
  rateLimit?: { requests: number; windowMs: number }
  /** Where pull_request webhooks go. */
  webhook?: { url: string; secret: string }
  /** The clock token expiry and the rate-limit windows read (default Date.now): tests move it instead of waiting. */
  now?: () => number
  /** Logins reviewers may be requested from (default: anyone). */
  collaborators?: string[]
}

export type AutoMergeMethod = 'MERGE' | 'SQUASH' | 'REBASE'

export interface FakePull {
  number: number
  title: string
  body: string
  head: string
  base: string
  headSha: string
  state: 'open' | 'closed'
  merged: boolean
  mergeCommit?: string
  mergedBy?: string
  mergedAt?: string
  closedAt?: string
  labels: string[]
  reviewers: string[]
  autoMerge?: { method: AutoMergeMethod; enabledBy?: string }
  createdAt: string
  updatedAt: string
  /** Who opened it. */
  author?: string
  /** The head sha passChecks() made green (required checks are per commit, as on GitHub). */
  checksPassedSha?: string
}

export interface FakeStatus {
  repo: string
  sha: string
  context: string
  state: string
  description?: string
  targetUrl?: string
}

export interface FakeDeployment {
  id: number
  repo: string
  ref: string
  environment: string
  description?: string
  statuses: { state: string; environmentUrl?: string; logUrl?: string; description?: string }[]
}

export interface FakeRequest {
  method: string
  /** Without the /api/v3 prefix and without the query: /repos/acme/infra/pulls, /graphql. */
  path: string
  /** 0 until answered. */
  status: number
  query?: string
  /** The operation from the OpenAPI subset (or "graphql"), when one matched. */
  operation?: string
}

export interface FakeWebhookDelivery {
  id: string
  event: string
  action: string
  number: number
  url: string
  /** The receiver's HTTP status; 0 when it could not be reached. */
  status: number
  error?: string
}

export interface FakeGitRequest {
  method: string
  service: 'info-refs' | 'upload-pack' | 'receive-pack' | 'other'
  status: number
}

export interface FakeGitHubTestHooks {
  /** Rewrites an answer before it is validated and sent: lets tests prove response validation can fail. */
  mutateResponse?: (operation: string, status: number, body: unknown) => unknown
}

export interface FakeGitHub {
  /** http://127.0.0.1:<port> */
  readonly url: string
  /** `${url}/api/v3` (the GHES shape; octokit's baseUrl). */
  readonly apiUrl: string
  /** `${url}/<owner>/<repo>.git`, served by `git http-backend`. */
  readonly gitUrl: string
  /** The repository on disk, for the git CLI in tests. */
  readonly bareRepo: string
  readonly pulls: ReadonlyMap<number, FakePull>
  readonly statuses: FakeStatus[]
  readonly deployments: FakeDeployment[]
  /** Every API request, in order of arrival. */
  readonly requests: FakeRequest[]
  /** Every git smart-HTTP request, in order of arrival. */
  readonly gitRequests: FakeGitRequest[]
  /** Every request or response that did not match the OpenAPI subset / GraphQL schema; tests assert it stays empty. */
  readonly violations: string[]
  readonly webhookDeliveries: FakeWebhookDelivery[]
  testHooks: FakeGitHubTestHooks
  setWebhook(url: string, secret: string): void
  /** Merges in the bare repo with git, marks merged, sends the webhook; returns the merge commit. */
  mergeByPerson(number: number, login: string, method?: 'merge' | 'squash'): Promise<string>
  /** Closes unmerged, sends the webhook. */
  close(number: number, login?: string): Promise<void>
  /** Checks green for the PR's current head; with auto-merge enabled the fake merges (as the enabling actor) and sends the webhook. */
  passChecks(number: number): Promise<void>
  stop(): Promise<void>
}
