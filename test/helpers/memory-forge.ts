import type { MergeMethod } from '../../src/core/change-set.js'
import type { AutoMergeResult, Forge, OpenPullRequest, PullRequestInfo, SourceReport } from '../../src/forges/forge.js'
import { ForgeError } from '../../src/core/errors.js'
import { git } from './git-cli.js'

interface Pull {
  info: PullRequestInfo
  labels: readonly string[]
  reviewers: readonly string[]
  autoMerge?: MergeMethod
}

/**
 * A Forge in memory over a real bare repository, for worker tests that are
 * about the worker's decisions, not about GitHub's API (the fake GitHub in
 * test/helpers/fake-github/ checks that). Heads are read from the repository
 * with the git CLI; a merge moves the base branch with git.
 */
export class MemoryForge implements Forge {
  readonly kind = 'memory'
  readonly description = 'memory'
  readonly pulls = new Map<number, Pull>()
  readonly reports: SourceReport[] = []
  requests = 0
  private next = 1
  /** The next open() fails as a forge that is down would (ForgeError, retryable). */
  failNextOpen = false
  /** What autoMerge finds: mergeable (it merges), or checks pending (it enables). */
  checksGreen = true

  constructor(private readonly bare: string) {}

  private tip(branch: string): string {
    return git(this.bare, 'rev-parse', `refs/heads/${branch}`).trim()
  }

  private fresh(p: Pull): PullRequestInfo {
    return p.info.state === 'open' ? { ...p.info, headSha: this.tip(p.info.head) } : p.info
  }

  async findOpen(branch: string) {
    this.requests++
    const p = [...this.pulls.values()].find((x) => x.info.head === branch && x.info.state === 'open')
    return p ? this.fresh(p) : null
  }

  async get(number: number) {
    this.requests++
    return this.fresh(this.pulls.get(number)!)
  }

  async recentlyClosed(limit: number) {
    this.requests++
    return [...this.pulls.values()].filter((p) => p.info.state !== 'open').map((p) => p.info).reverse().slice(0, limit)
  }

  async open(d: OpenPullRequest) {
    this.requests++
    if (this.failNextOpen) {
      this.failNextOpen = false
      throw new ForgeError('FORGE_UNAVAILABLE', 'the forge is down (test)', { status: 502, operation: 'open' })
    }
    const existing = await this.findOpen(d.head)
    if (existing) return existing
    const number = this.next++
    const info: PullRequestInfo = { number, url: `https://forge.test/acme/infra/pull/${number}`, state: 'open', head: d.head, base: d.base, title: d.title, headSha: this.tip(d.head), nodeId: `PR_${number}` }
    this.pulls.set(number, { info, labels: d.labels, reviewers: d.reviewers })
    return info
  }

  async update(number: number, text: { title: string; body: string }) {
    this.requests++
    const p = this.pulls.get(number)!
    p.info = { ...p.info, title: text.title }
    return this.fresh(p)
  }

  async autoMerge(pr: PullRequestInfo, method: MergeMethod): Promise<AutoMergeResult> {
    this.requests++
    if (!this.checksGreen) {
      this.pulls.get(pr.number)!.autoMerge = method
      return { kind: 'enabled' }
    }
    return { kind: 'merged', pullRequest: this.merge(pr.number, 'infra-sync[bot]') }
  }

  async report(r: SourceReport) {
    this.requests++
    this.reports.push(r)
  }

  /** A person merges: main moves to a merge of the branch (here a fast-forward or a merge commit by git). */
  merge(number: number, login: string): PullRequestInfo {
    const p = this.pulls.get(number)!
    const head = this.tip(p.info.head)
    const base = this.tip(p.info.base)
    const tree = git(this.bare, 'merge-tree', '--write-tree', base, head).trim().split('\n')[0]!
    const commit = git(this.bare, 'commit-tree', tree, '-p', base, '-p', head, '-m', `Merge pull request #${number}`).trim()
    git(this.bare, 'update-ref', `refs/heads/${p.info.base}`, commit, base)
    p.info = { ...p.info, state: 'merged', headSha: head, mergeCommit: commit, mergedBy: login, mergedAt: new Date().toISOString() }
    return p.info
  }

  close(number: number): void {
    const p = this.pulls.get(number)!
    p.info = { ...p.info, state: 'closed', closedAt: new Date().toISOString() }
  }
}
