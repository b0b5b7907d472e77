import type { Auth } from './auth.js'
import { branchTips, identityOf, mergeBranches, mergeTree } from './bare-repo.js'
import { idOf, isoSeconds, repository, user, type Site } from './objects.js'
import { pullRequest, type MergeableState, type PullRecord } from './pull-objects.js'
import type { OpenApiValidator } from './openapi-validator.js'
import type { FakeDeployment, FakeGitRequest, FakeRequest, FakeStatus } from './types.js'
import type { WebhookSender } from './webhooks.js'

export type StoredStatus = FakeStatus & { id: number; creator: string; at: string }
export type StoredDeployment = FakeDeployment & { sha: string; creator: string; at: string; payload: unknown; task: string }

export type MergeResult =
  | { kind: 'merged'; sha: string; delivered: Promise<void> }
  | { kind: 'not-mergeable' }
  | { kind: 'head-moved' }
  | { kind: 'base-moved' }

/**
 * The fake's state and the pull-request actions every entry point shares (REST, GraphQL, the test methods).
 * Changes go through `exclusive`, so two merges of one pull request cannot both succeed; webhooks are sent
 * after it lets go, so a receiver that calls back into the API cannot deadlock with it.
 */
export class Hub {
  readonly pulls = new Map<number, PullRecord>()
  readonly statuses: StoredStatus[] = []
  readonly deployments: StoredDeployment[] = []
  readonly requests: FakeRequest[] = []
  readonly gitRequests: FakeGitRequest[] = []
  private nextNumber = 1
  private nextId = 1
  private lock: Promise<unknown> = Promise.resolve()

  constructor(
    readonly site: Site,
    readonly bare: string,
    readonly auth: Auth,
    readonly validator: OpenApiValidator,
    readonly webhooks: WebhookSender,
    /** Shared with the webhook sender. */
    readonly violations: string[],
    readonly opts: { requiredChecks: boolean; collaborators?: string[] },
  ) {}

  get fullName(): string {
    return `${this.site.owner}/${this.site.repo}`
  }

  newId(): number {
    return this.nextId++
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn)
    this.lock = run.catch(() => undefined)
    return run
  }

  /** Reads every branch tip and moves each open pull request's head to its branch's (a push moves it). */
  async refresh(): Promise<Map<string, string>> {
    const tips = await branchTips(this.bare)
    for (const pr of this.pulls.values()) {
      const tip = tips.get(pr.head)
      if (pr.state === 'open' && tip && tip !== pr.headSha) {
        pr.headSha = tip
        pr.updatedMs = Date.now()
        pr.updatedAt = isoSeconds(pr.updatedMs)
      }
    }
    return tips
  }

  createPull(p: { title: string; body: string; head: string; base: string; headSha: string; author: string }): PullRecord {
    const number = this.nextNumber++
    const now = Date.now()
    const id = idOf('pull', `${this.fullName}#${number}`)
    const pr: PullRecord = {
      ...p,
      number,
      id,
      nodeId: `PR_kwDO${Buffer.from(`${this.fullName}#${number}`).toString('base64url')}`,
      state: 'open',
      merged: false,
      labels: [],
      reviewers: [],
      createdMs: now,
      updatedMs: now,
      createdAt: isoSeconds(now),
      updatedAt: isoSeconds(now),
    }
    this.pulls.set(number, pr)
    return pr
  }

  touch(pr: PullRecord): void {
    pr.updatedMs = Math.max(Date.now(), pr.updatedMs + 1)
    pr.updatedAt = isoSeconds(pr.updatedMs)
  }

  byNodeId(id: string): PullRecord | undefined {
    for (const pr of this.pulls.values()) if (pr.nodeId === id) return pr
    return undefined
  }

  /** clean when open, conflict-free and (no required checks or they passed for the current head); blocked otherwise. */
  async mergeable(pr: PullRecord, tips: Map<string, string>): Promise<MergeableState> {
    if (pr.state !== 'open') return 'unknown'
    const baseSha = tips.get(pr.base)
    if (!baseSha) return 'unknown'
    if ((await mergeTree(this.bare, baseSha, pr.headSha)) === null) return 'dirty'
    if (this.opts.requiredChecks && pr.checksPassedSha !== pr.headSha) return 'blocked'
    return 'clean'
  }

  async pullObject(pr: PullRecord, tips: Map<string, string>): Promise<Record<string, unknown>> {
    return pullRequest(this.site, pr, tips.get(pr.base) ?? pr.headSha, await this.mergeable(pr, tips))
  }

  /** Merges an open, mergeable pull request in the bare repository as `login`, then sends the webhook. */
  async merge(pr: PullRecord, m: { login: string; method: 'merge' | 'squash' | 'rebase'; sha?: string; title?: string; message?: string; force?: boolean }): Promise<MergeResult> {
    const tips = await this.refresh()
    if (m.sha !== undefined && m.sha !== pr.headSha) return { kind: 'head-moved' }
    const state = await this.mergeable(pr, tips)
    if (state === 'unknown' || state === 'dirty' || (state === 'blocked' && !m.force)) return { kind: 'not-mergeable' }
    const baseSha = tips.get(pr.base)!
    const title = m.title ?? (m.method === 'squash' ? `${pr.title} (#${pr.number})` : `Merge pull request #${pr.number} from ${this.site.owner}/${pr.head}`)
    const message = `${title}\n\n${m.message ?? (m.method === 'squash' ? pr.body : pr.title)}`.trimEnd() + '\n'
    const outcome = await mergeBranches(this.bare, { base: pr.base, baseSha, headSha: pr.headSha, method: m.method, message, author: identityOf(m.login, idOf('user', m.login)) })
    if (outcome.kind === 'conflict') return { kind: 'not-mergeable' }
    if (outcome.kind === 'base-moved') return { kind: 'base-moved' }
    const now = Date.now()
    pr.state = 'closed'
    pr.merged = true
    pr.mergeCommit = outcome.sha
    pr.mergedBy = m.login
    pr.mergedAt = isoSeconds(now)
    pr.closedAt = isoSeconds(now)
    delete pr.autoMerge
    this.touch(pr)
    return { kind: 'merged', sha: outcome.sha, delivered: this.closedWebhook(pr, m.login, tips) }
  }

  /** Closes an open pull request unmerged; `delivered` settles once the webhook was answered (await it outside `exclusive`). */
  async close(pr: PullRecord, login: string): Promise<{ delivered: Promise<void> }> {
    const tips = await this.refresh()
    pr.state = 'closed'
    pr.closedAt = isoSeconds(Date.now())
    delete pr.autoMerge
    this.touch(pr)
    return { delivered: this.closedWebhook(pr, login, tips) }
  }

  /** Built now, sent on the next turn: callers hold the lock until they return. */
  private closedWebhook(pr: PullRecord, sender: string, tips: Map<string, string>): Promise<void> {
    const payload = {
      action: 'closed',
      number: pr.number,
      pull_request: {
        ...pullRequest(this.site, pr, tips.get(pr.base) ?? pr.headSha, 'unknown'),
        allow_auto_merge: true,
        allow_update_branch: false,
        delete_branch_on_merge: false,
        use_squash_pr_title_as_default: false,
      },
      repository: repository(this.site),
      sender: user(this.site, sender),
    }
    return new Promise<void>((r) => setImmediate(r)).then(() => this.webhooks.send('pull_request', 'pull-request-closed', payload))
  }
}
