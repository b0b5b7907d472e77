import type { MergeMethod } from '../core/change-set.js'

/**
 * A forge hosts the infra repository's pull requests (and, for reports, the
 * source repositories). One file per forge implements this (github.ts first);
 * the worker knows only this interface. Every method throws an
 * InfraSyncError: ForgeError with `retryable` set by the forge's answer
 * (5xx, rate limits, network: retryable; 401/403/404/422: not).
 */
export type PullRequestState = 'open' | 'closed' | 'merged'

export interface PullRequestInfo {
  readonly number: number
  /** The page people open (html_url). */
  readonly url: string
  readonly state: PullRequestState
  /** The head branch, without refs/heads/. */
  readonly head: string
  readonly headSha: string
  readonly base: string
  readonly title: string
  /** The forge's global id (GitHub's node_id), for GraphQL calls. */
  readonly nodeId?: string
  /** Set once merged. */
  readonly mergeCommit?: string
  readonly mergedBy?: string
  readonly mergedAt?: string
  readonly closedAt?: string
  /** Whether the forge says it could be merged now (GitHub: mergeable_state clean); unknown while it computes. */
  readonly mergeable?: boolean
}

export interface PullRequestDraft {
  readonly head: string
  readonly base: string
  readonly title: string
  readonly body: string
}

export interface OpenPullRequest extends PullRequestDraft {
  readonly labels: readonly string[]
  readonly reviewers: readonly string[]
}

export type AutoMergeResult =
  /** The forge merges it once its checks pass. */
  | { readonly kind: 'enabled' }
  /** It was mergeable already, so infra-sync merged it. */
  | { readonly kind: 'merged'; readonly pullRequest: PullRequestInfo }
  /** Neither yet (checks pending, not mergeable): tried again at the next poll. */
  | { readonly kind: 'waiting'; readonly reason: string }

export type ReportState = 'pending' | 'success' | 'failure'

/** What a source repository is told about its build, per environment. */
export interface SourceReport {
  /** owner/repo of the source. */
  readonly repo: string
  /** The build's source commit. */
  readonly sha: string
  readonly environment: string
  readonly state: ReportState
  /** Short text (GitHub cuts commit status descriptions at 140 characters). */
  readonly description: string
  /** The commit or pull request in the infra repo, when there is one. */
  readonly url?: string
  /** status: a commit status `infra-sync/<environment>`; deployments: a deployment with deployment statuses. */
  readonly mode: 'status' | 'deployments'
}

export interface Forge {
  /** github, … : for logs and metrics. */
  readonly kind: string
  /** owner/name of the infra repository; safe to log. */
  readonly description: string
  /** The open pull request whose head is `branch` in the infra repository, if any. */
  findOpen(branch: string): Promise<PullRequestInfo | null>
  get(number: number): Promise<PullRequestInfo>
  /** Pull requests closed or merged recently, newest first (the polling fallback for missed webhooks). GitHub's list leaves out who merged (mergedBy) and mergeable: get(number) has them. */
  recentlyClosed(limit: number): Promise<PullRequestInfo[]>
  /** Opens one, adds labels and asks reviewers. When the forge says one is open for that head already, returns that one. */
  open(draft: OpenPullRequest): Promise<PullRequestInfo>
  /** Rewrites title and body of an open pull request. */
  update(number: number, text: { readonly title: string; readonly body: string }): Promise<PullRequestInfo>
  /** Turns on the forge's auto-merge; where the forge refuses because it is mergeable already, merges it (at its head sha) when its required checks pass. */
  autoMerge(pr: PullRequestInfo, method: MergeMethod): Promise<AutoMergeResult>
  /** Tells a source repository about its build. */
  report(report: SourceReport): Promise<void>
  /** How many API requests it sent so far (the bench counts them per deploy). */
  readonly requests: number
}

/** Credentials for git over https, the same ones the forge's API uses; asked before every exchange, so tokens can be refreshed. */
export interface GitCredentials {
  readonly username: string
  readonly password: string
}

export type CredentialsProvider = () => Promise<GitCredentials | null>
