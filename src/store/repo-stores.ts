import type { AcceptInput, AcceptResult, DeploymentHealth, DeploymentQuery, DeploymentRecord, EventRecord, Store } from './store.js'
import type { EventStatus } from '../core/change-set.js'
import { mergeEventRecords } from './merge-event-records.js'
import type { PinRecord, PinStore } from './pins.js'
import type { PromotionRecord, PromotionStore } from './promotions.js'

/** What the HTTP side asks of the store: intake, the event routes, readiness. */
export type IntakeStore = Pick<Store, 'kind' | 'init' | 'accept' | 'get' | 'list' | 'retry' | 'deployments' | 'recordHealth' | 'pins' | 'promotions' | 'counts' | 'ping' | 'close' | 'rateLimiter'>

/** One infra repo's namespace of the store. */
export interface RepoStore {
  readonly name: string
  readonly store: Store
}

/**
 * The intake's view of several infra repos, each with a namespace of its own
 * (open-store.ts): an event is stored in every namespace under one id, before
 * the 2xx, and each repo's worker decides whether it deploys there (a repo
 * with no service for the image records it skipped, `no-target`). Reads merge
 * the repos' records of an event into one (merge-event-records.ts).
 *
 * Stored one namespace after another, not in one transaction: when a later
 * one fails, the sender gets a 503 and sends the same delivery again; the
 * namespaces that have it answer with its id, and the others store it under
 * that id (AcceptInput.id). Nothing accepted is lost, and the id is the same
 * everywhere.
 */
export class RepoStores implements IntakeStore {
  constructor(readonly repos: readonly RepoStore[]) {
    if (repos.length === 0) throw new Error('RepoStores needs at least one repo')
  }

  get kind(): string {
    return this.repos[0]!.store.kind
  }

  async init(): Promise<void> {
    for (const r of this.repos) await r.store.init()
  }

  async accept(input: AcceptInput): Promise<AcceptResult> {
    const first = await this.repos[0]!.store.accept(input)
    for (const r of this.repos.slice(1)) await r.store.accept({ ...input, id: first.id })
    return first
  }

  private async records(id: string): Promise<{ repo: string; record: EventRecord }[]> {
    const found = await Promise.all(this.repos.map(async (r) => ({ repo: r.name, record: await r.store.get(id) })))
    return found.filter((f): f is { repo: string; record: EventRecord } => f.record !== null)
  }

  async get(id: string): Promise<EventRecord | null> {
    return mergeEventRecords(await this.records(id))
  }

  /** Events whose merged status is `status`, newest first: an event dead in one repo and applied in another reads dead. */
  async list(status: EventStatus, limit: number): Promise<EventRecord[]> {
    if (this.repos.length === 1) return this.repos[0]!.store.list(status, limit)
    const ids = new Set((await Promise.all(this.repos.map((r) => r.store.list(status, limit)))).flat().map((e) => e.id))
    const merged = (await Promise.all([...ids].map((id) => this.get(id)))).filter((e): e is EventRecord => e !== null && e.status === status)
    return merged.sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : a.receivedAt > b.receivedAt ? -1 : 0)).slice(0, limit)
  }

  /** Retried in every repo where it can be; null when no repo knows the event. */
  async retry(id: string, now: Date): Promise<EventRecord | null> {
    const results = []
    for (const r of this.repos) results.push(await r.store.retry(id, now))
    return results.some((x) => x !== null) ? this.get(id) : null
  }

  /**
   * Every repo's history, newest first by appliedAt, each row naming its repo
   * when there are several. `before` is a seq, and each repo numbers its own
   * rows: with several repos it applies to each repo's seq alike.
   */
  async deployments(q: DeploymentQuery): Promise<DeploymentRecord[]> {
    if (this.repos.length === 1) return this.repos[0]!.store.deployments(q)
    const lists = await Promise.all(this.repos.map(async (r) => (await r.store.deployments(q)).map((d) => ({ ...d, repo: r.name }))))
    return lists
      .flat()
      // By instant, not by text: a merge time from the forge may be written without milliseconds.
      .sort((a, b) => Date.parse(b.appliedAt) - Date.parse(a.appliedAt) || b.seq - a.seq)
      .slice(0, q.limit)
  }

  /** A commit is one repo's, so its rows are in that repo alone: the others change none. */
  async recordHealth(commit: string, service: string, environment: string, health: DeploymentHealth): Promise<number> {
    let changed = 0
    for (const r of this.repos) changed += await r.store.recordHealth(commit, service, environment, health)
    return changed
  }

  /**
   * Pins in every repo: a pin names a service, and a repo without that
   * service never plans it, so the pin does nothing there. Listed per repo,
   * each naming its repo when there are several.
   */
  get pins(): PinStore {
    const repos = this.repos
    return {
      list: async () => {
        if (repos.length === 1) return repos[0]!.store.pins.list()
        return (await Promise.all(repos.map(async (r) => (await r.store.pins.list()).map((p): PinRecord => ({ ...p, repo: r.name }))))).flat()
      },
      set: async (pin) => {
        for (const r of repos) await r.store.pins.set(pin)
      },
      remove: async (service, environment) => {
        let removed = false
        for (const r of repos) removed = (await r.store.pins.remove(service, environment)) || removed
        return removed
      },
    }
  }

  /**
   * Promotion records as pins are: set in every repo (a repo without the
   * service never reads them), read from all, each naming its repo when there
   * are several; the newest first, and `get` answers the newest of the repos'.
   */
  get promotions(): PromotionStore {
    const repos = this.repos
    const newestFirst = (a: PromotionRecord, b: PromotionRecord) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt)
    return {
      list: async () => {
        if (repos.length === 1) return repos[0]!.store.promotions.list()
        const lists = await Promise.all(repos.map(async (r) => (await r.store.promotions.list()).map((p): PromotionRecord => ({ ...p, repo: r.name }))))
        return lists.flat().sort(newestFirst)
      },
      get: async (service, environment, value) => {
        if (repos.length === 1) return repos[0]!.store.promotions.get(service, environment, value)
        const found = await Promise.all(repos.map(async (r) => {
          const p = await r.store.promotions.get(service, environment, value)
          return p && { ...p, repo: r.name }
        }))
        return found.filter((p): p is PromotionRecord & { repo: string } => p !== null).sort(newestFirst)[0] ?? null
      },
      set: async (record) => {
        for (const r of repos) await r.store.promotions.set(record)
      },
      wake: async (ids, now) => (await Promise.all(repos.map((r) => r.store.promotions.wake(ids, now)))).reduce((a, b) => a + b, 0),
    }
  }

  async counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {}
    for (const c of await Promise.all(this.repos.map((r) => r.store.counts()))) for (const [k, v] of Object.entries(c)) out[k] = (out[k] ?? 0) + v
    return out
  }

  async ping(): Promise<void> {
    await Promise.all(this.repos.map((r) => r.store.ping()))
  }

  async close(): Promise<void> {
    await Promise.all(this.repos.map((r) => r.store.close()))
  }

  /** One bucket per source for the whole deployment: the first namespace's. */
  get rateLimiter(): Store['rateLimiter'] {
    const first = this.repos[0]!.store
    return first.rateLimiter?.bind(first)
  }
}
