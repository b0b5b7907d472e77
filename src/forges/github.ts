import type { ForgeConfig } from '../config/config.js'
import type { MergeMethod } from '../core/change-set.js'
import { ForgeError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { AutoMergeResult, CredentialsProvider, Forge, OpenPullRequest, PullRequestInfo, SourceReport } from './forge.js'
import { createGitHubClient, githubRequest, type GitHubClient, type GitHubClientOptions, type GitHubOctokit } from './github-client.js'
import { createGitHubAuth } from './github-credentials.js'
import { graphqlErrorTypes, hasStatus, toForgeError } from './github-errors.js'
import { cutDescription, toPullRequestInfo, type GitHubPull } from './github-pulls.js'

// Not `$method`: octokit's graphql reserves that name for the HTTP method. expectedHeadOid: GitHub refuses
// when the branch moved since it was proposed, so auto-merge never takes a head infra-sync did not propose.
const ENABLE_AUTO_MERGE = `mutation($id: ID!, $mergeMethod: PullRequestMergeMethod!, $head: GitObjectID!) {
  enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: $mergeMethod, expectedHeadOid: $head}) { pullRequest { number } }
}`

/** What tests (and the bench) may tune: pacing, rate-limit patience, the request deadline. */
export type ForgeTuning = Partial<Pick<GitHubClientOptions, 'pacing' | 'rateLimitRetries' | 'maxRateLimitWaitSeconds' | 'timeoutMs'>>

export interface OpenedForge {
  readonly forge: Forge
  readonly credentials: CredentialsProvider
}

export interface GitHubForgeOptions {
  readonly owner: string
  readonly repo: string
  readonly log: Logger
}

/** The infra repository's pull requests, and the source repositories' reports, on github.com or GHES. */
export class GitHubForge implements Forge {
  readonly kind = 'github'
  readonly description: string
  private readonly octokit: GitHubOctokit
  private readonly owner: string
  private readonly repo: string
  private readonly log: Logger
  /** Deployments this process created, per repo, sha and environment: later states go to the same one. */
  private readonly deployments = new Map<string, number>()

  constructor(
    private readonly client: GitHubClient,
    opts: GitHubForgeOptions,
  ) {
    this.octokit = client.octokit
    this.owner = opts.owner
    this.repo = opts.repo
    this.log = opts.log
    this.description = `${opts.owner}/${opts.repo}`
  }

  get requests(): number {
    return this.client.requests
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (e) {
      throw toForgeError(operation, e)
    }
  }

  private get at() {
    return { owner: this.owner, repo: this.repo }
  }

  findOpen(branch: string): Promise<PullRequestInfo | null> {
    return this.call('find pull request', async () => {
      const { data } = await this.octokit.rest.pulls.list({ ...this.at, head: `${this.owner}:${branch}`, state: 'open', per_page: 1 })
      const pull = data.find((p) => p.head.ref === branch)
      return pull ? toPullRequestInfo(pull as GitHubPull) : null
    })
  }

  get(number: number): Promise<PullRequestInfo> {
    return this.call('get pull request', async () => {
      const { data } = await this.octokit.rest.pulls.get({ ...this.at, pull_number: number })
      return toPullRequestInfo(data as GitHubPull)
    })
  }

  recentlyClosed(limit: number): Promise<PullRequestInfo[]> {
    return this.call('list closed pull requests', async () => {
      const per_page = Math.max(1, Math.min(100, Math.floor(limit)))
      const { data } = await this.octokit.rest.pulls.list({ ...this.at, state: 'closed', sort: 'updated', direction: 'desc', per_page })
      return data.map((p) => toPullRequestInfo(p as GitHubPull))
    })
  }

  async open(draft: OpenPullRequest): Promise<PullRequestInfo> {
    const pr = await this.call('open pull request', async () => {
      try {
        const { data } = await this.octokit.rest.pulls.create({ ...this.at, head: draft.head, base: draft.base, title: draft.title, body: draft.body })
        return toPullRequestInfo(data as GitHubPull)
      } catch (e) {
        // 422: one is open for this head already (a crash between the branch push and this call, replayed).
        if (!hasStatus(e, 422)) throw e
        const existing = await this.findOpen(draft.head)
        if (!existing) throw e
        this.log.info({ pullRequest: existing.number, head: draft.head }, 'pull request open for this branch already')
        return existing
      }
    })
    await this.decorate(pr.number, draft)
    return pr
  }

  /** Labels and reviewers; GitHub refusing one (a reviewer who is no collaborator) does not undo the pull request. */
  private async decorate(number: number, draft: OpenPullRequest): Promise<void> {
    if (draft.labels.length > 0) {
      await this.call('add labels', async () => {
        try {
          await this.octokit.rest.issues.addLabels({ ...this.at, issue_number: number, labels: [...draft.labels] })
        } catch (e) {
          if (!hasStatus(e, 422)) throw e
          this.log.warn({ pullRequest: number, labels: draft.labels, status: 422 }, 'GitHub refused the labels')
        }
      })
    }
    if (draft.reviewers.length > 0) {
      await this.call('request reviewers', async () => {
        try {
          await this.octokit.rest.pulls.requestReviewers({ ...this.at, pull_number: number, reviewers: [...draft.reviewers] })
        } catch (e) {
          if (!hasStatus(e, 422)) throw e
          this.log.warn({ pullRequest: number, reviewers: draft.reviewers, status: 422 }, 'GitHub refused the reviewers (not collaborators?)')
        }
      })
    }
  }

  update(number: number, text: { readonly title: string; readonly body: string }): Promise<PullRequestInfo> {
    return this.call('update pull request', async () => {
      const { data } = await this.octokit.rest.pulls.update({ ...this.at, pull_number: number, title: text.title, body: text.body })
      return toPullRequestInfo(data as GitHubPull)
    })
  }

  async autoMerge(pr: PullRequestInfo, method: MergeMethod): Promise<AutoMergeResult> {
    const nodeId = pr.nodeId ?? (await this.get(pr.number)).nodeId
    if (!nodeId) throw new ForgeError('FORGE_REFUSED', `GitHub gave pull request #${pr.number} no node id`, { operation: 'enable auto-merge' })
    const refused = await this.call('enable auto-merge', async () => {
      try {
        await this.octokit.graphql(ENABLE_AUTO_MERGE, { id: nodeId, mergeMethod: method.toUpperCase(), head: pr.headSha })
        return false
      } catch (e) {
        // GitHub refuses auto-merge on a pull request that is mergeable already ("clean status").
        if (!graphqlErrorTypes(e).includes('UNPROCESSABLE')) throw e
        return true
      }
    })
    if (!refused) return { kind: 'enabled' }
    return this.mergeNow(pr, method)
  }

  /** Merges at the head infra-sync proposed, when GitHub says it can be merged now (required checks green). */
  private async mergeNow(pr: PullRequestInfo, method: MergeMethod): Promise<AutoMergeResult> {
    const now = await this.get(pr.number)
    if (now.state === 'merged') return { kind: 'merged', pullRequest: now }
    if (now.state === 'closed') return { kind: 'waiting', reason: 'closed without merge' }
    if (now.mergeable === undefined) return { kind: 'waiting', reason: 'GitHub is still computing whether it can be merged' }
    if (!now.mergeable) return { kind: 'waiting', reason: 'not mergeable yet (required checks or reviews)' }
    const outcome = await this.call('merge pull request', async () => {
      try {
        await this.octokit.rest.pulls.merge({ ...this.at, pull_number: pr.number, sha: pr.headSha, merge_method: method })
        return 'merged' as const
      } catch (e) {
        if (hasStatus(e, 405)) return 'not mergeable' as const
        if (hasStatus(e, 409)) return 'head moved' as const
        throw e
      }
    })
    if (outcome !== 'merged') return { kind: 'waiting', reason: outcome === 'head moved' ? 'its head moved since it was proposed' : 'GitHub says it cannot be merged now' }
    this.log.info({ pullRequest: pr.number, method }, 'merged the pull request (mergeable already, so no auto-merge)')
    return { kind: 'merged', pullRequest: await this.get(pr.number) }
  }

  async report(report: SourceReport): Promise<void> {
    const [owner, repo, ...rest] = report.repo.split('/')
    if (!owner || !repo || rest.length > 0) throw new ForgeError('FORGE_REFUSED', `not an owner/name repository: ${report.repo}`, { operation: 'report' })
    const description = cutDescription(report.description)
    if (report.mode === 'status') {
      await this.call('commit status', () =>
        this.octokit.rest.repos.createCommitStatus({
          owner,
          repo,
          sha: report.sha,
          state: report.state,
          context: `infra-sync/${report.environment}`,
          description,
          ...(report.url && { target_url: report.url }),
        }),
      )
      return
    }
    const id = await this.deploymentFor(owner, repo, report, description)
    await this.call('deployment status', () =>
      this.octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: id, state: report.state, description, ...(report.url && { log_url: report.url }) }),
    )
  }

  private async deploymentFor(owner: string, repo: string, report: SourceReport, description: string): Promise<number> {
    const key = `${owner}/${repo}\u0000${report.sha}\u0000${report.environment}`
    const known = this.deployments.get(key)
    if (known !== undefined) return known
    const id = await this.call('create deployment', async () => {
      const { data } = await this.octokit.rest.repos.createDeployment({
        owner,
        repo,
        ref: report.sha,
        environment: report.environment,
        auto_merge: false,
        required_contexts: [],
        description,
      })
      // 202 (no id) is GitHub merging the default branch into the ref: never with auto_merge false.
      if (!('id' in data)) throw new ForgeError('FORGE_REFUSED', 'GitHub created no deployment', { operation: 'create deployment', status: 202 })
      return data.id
    })
    this.deployments.set(key, id)
    return id
  }
}

/** The GitHub forge for ForgeConfig, with the credentials git uses for the same repository. A bad App key is a ConfigError now. */
export function openGitHub(config: ForgeConfig, log: Logger, tuning: ForgeTuning = {}): OpenedForge {
  const request = githubRequest(config.apiUrl, tuning.timeoutMs)
  const auth = createGitHubAuth(config, { request, log, owner: config.owner, repo: config.repo })
  const client = createGitHubClient({ apiUrl: config.apiUrl, log, auth: auth.octokit, ...tuning })
  return { forge: new GitHubForge(client, { owner: config.owner, repo: config.repo, log }), credentials: auth.credentials }
}
