import { isoSeconds, label, repository, user, type Site } from './objects.js'
import type { FakePull } from './types.js'

/** Pull-request objects: `pull-request` (one) and `pull-request-simple` (lists), the same fields where they overlap. */
export type MergeableState = 'clean' | 'blocked' | 'dirty' | 'unknown'

/** A pull request as the fake keeps it: the public record plus what the answers need. */
export interface PullRecord extends FakePull {
  id: number
  nodeId: string
  author: string
  /** Milliseconds, for sorting (the answers carry seconds, as GitHub's do). */
  createdMs: number
  updatedMs: number
  /** Set while auto-merge is on. */
  autoMerge?: { method: 'MERGE' | 'SQUASH' | 'REBASE'; enabledBy: string; enabledAt: string }
}

function branchRef(site: Site, ref: string, sha: string): Record<string, unknown> {
  return { label: `${site.owner}:${ref}`, ref, sha, user: user(site, site.owner), repo: repository(site) }
}

/** The fields `pull-request-simple` (lists) and `pull-request` (one) share. */
function pullCommon(site: Site, pr: PullRecord, baseSha: string): Record<string, unknown> {
  const api = `${site.api}/repos/${site.owner}/${site.repo}`
  const html = `${site.web}/${site.owner}/${site.repo}/pull/${pr.number}`
  const link = (href: string) => ({ href })
  return {
    url: `${api}/pulls/${pr.number}`,
    id: pr.id,
    node_id: pr.nodeId,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${pr.number}`,
    commits_url: `${api}/pulls/${pr.number}/commits`,
    review_comments_url: `${api}/pulls/${pr.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${pr.number}/comments`,
    statuses_url: `${api}/statuses/${pr.headSha}`,
    number: pr.number,
    state: pr.state,
    locked: false,
    title: pr.title,
    user: user(site, pr.author),
    body: pr.body === '' ? null : pr.body,
    labels: pr.labels.map((l) => label(site, l)),
    milestone: null,
    active_lock_reason: null,
    created_at: isoSeconds(pr.createdMs),
    updated_at: isoSeconds(pr.updatedMs),
    closed_at: pr.closedAt ?? null,
    merged_at: pr.mergedAt ?? null,
    merge_commit_sha: pr.mergeCommit ?? null,
    assignee: null,
    assignees: [],
    requested_reviewers: pr.reviewers.map((r) => user(site, r)),
    requested_teams: [],
    head: branchRef(site, pr.head, pr.headSha),
    base: branchRef(site, pr.base, baseSha),
    _links: {
      self: link(`${api}/pulls/${pr.number}`),
      html: link(html),
      issue: link(`${api}/issues/${pr.number}`),
      comments: link(`${api}/issues/${pr.number}/comments`),
      review_comments: link(`${api}/pulls/${pr.number}/comments`),
      review_comment: link(`${api}/pulls/comments{/number}`),
      commits: link(`${api}/pulls/${pr.number}/commits`),
      statuses: link(`${api}/statuses/${pr.headSha}`),
    },
    author_association: 'MEMBER',
    auto_merge: pr.autoMerge
      ? { enabled_by: user(site, pr.autoMerge.enabledBy), merge_method: pr.autoMerge.method.toLowerCase(), commit_title: pr.title, commit_message: '' }
      : null,
    draft: false,
  }
}

export function pullRequestSimple(site: Site, pr: PullRecord, baseSha: string): Record<string, unknown> {
  return pullCommon(site, pr, baseSha)
}

export function pullRequest(site: Site, pr: PullRecord, baseSha: string, mergeable: MergeableState): Record<string, unknown> {
  return {
    ...pullCommon(site, pr, baseSha),
    merged: pr.merged,
    // GitHub answers null while it computes, and for closed pull requests.
    mergeable: mergeable === 'unknown' ? null : mergeable !== 'dirty',
    rebaseable: mergeable === 'unknown' ? null : mergeable !== 'dirty',
    mergeable_state: mergeable,
    merged_by: pr.mergedBy ? user(site, pr.mergedBy) : null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 1,
    deletions: 1,
    changed_files: 1,
  }
}
