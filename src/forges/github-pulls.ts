import type { PullRequestInfo } from './forge.js'

/** The fields infra-sync reads from GitHub's pull-request object (full, or as the list endpoint gives it). */
export interface GitHubPull {
  readonly number: number
  readonly html_url: string
  readonly state: string
  readonly title: string
  readonly node_id?: string
  readonly head: { readonly ref: string; readonly sha: string }
  readonly base: { readonly ref: string }
  readonly merged_at?: string | null
  readonly closed_at?: string | null
  readonly merge_commit_sha?: string | null
  readonly merged_by?: { readonly login: string } | null
  readonly mergeable_state?: string
}

// GitHub merges these (unstable: a check that is not required failed; has_hooks: GHES pre-receive hooks);
// blocked, behind, dirty, draft are not mergeable; unknown means GitHub is still computing it.
const MERGEABLE = new Set(['clean', 'unstable', 'has_hooks'])

export function mergeableOf(state: string | undefined): boolean | undefined {
  if (state === undefined || state === 'unknown') return undefined
  return MERGEABLE.has(state)
}

export function toPullRequestInfo(pull: GitHubPull): PullRequestInfo {
  const merged = Boolean(pull.merged_at)
  const mergeable = mergeableOf(pull.mergeable_state)
  return {
    number: pull.number,
    url: pull.html_url,
    state: merged ? 'merged' : pull.state === 'open' ? 'open' : 'closed',
    head: pull.head.ref,
    headSha: pull.head.sha,
    base: pull.base.ref,
    title: pull.title,
    ...(pull.node_id && { nodeId: pull.node_id }),
    ...(merged && pull.merge_commit_sha && { mergeCommit: pull.merge_commit_sha }),
    ...(pull.merged_by?.login && { mergedBy: pull.merged_by.login }),
    ...(pull.merged_at && { mergedAt: pull.merged_at }),
    ...(pull.closed_at && { closedAt: pull.closed_at }),
    ...(mergeable !== undefined && pull.state === 'open' && { mergeable }),
  }
}

/** GitHub cuts commit status and deployment descriptions at 140 characters, and refuses longer ones. */
export function cutDescription(text: string, max = 140): string {
  const chars = Array.from(text)
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`
}
