import type { Logger } from '../core/logger.js'
import type { Registry, ServiceTarget } from '../projects/registry.js'
import type { PromotionRecord } from '../store/promotions.js'
import type { Store } from '../store/store.js'
import { ArgoCdError } from './argocd-client.js'
import { fromDeployment } from './from-deployment.js'
import { healthVerdict, type ApplicationStatus } from './health-verdict.js'
import { carriedRevisions } from './carried-revisions.js'

export interface PromotionWatchDeps {
  readonly store: Pick<Store, 'list' | 'deployments' | 'recordHealth' | 'promotions'>
  readonly argocd: { applicationStatus(name: string): Promise<ApplicationStatus> }
  /** The worker's current service registry (promote: and application per environment). */
  readonly registry: () => Registry
  /** Whether commit `rev` carries `base` (descends-from.ts); `unknown` when the clone lacks it. */
  readonly carries: (base: string, rev: string) => Promise<boolean | 'unknown'>
  /** Fetches the infra repo, so a revision Argo CD synced is in the clone. */
  readonly refresh: () => Promise<void>
  /** An event was put back in the queue: plan it now. */
  readonly wake: () => void
  readonly log: Logger
  readonly clock: () => Date
  /** How often Argo CD is asked about each waiting promotion (at most 10 s). */
  readonly pollMs: number
}

interface Waiting {
  readonly service: string
  readonly environment: string
  readonly image: string
  readonly value: string
  readonly promote: NonNullable<ServiceTarget['promote']>
  readonly eventIds: string[]
}

const keyOf = (w: { service: string; environment: string; value: string }) => `${w.service}\u0000${w.environment}\u0000${w.value}`
const CAP_MS = 10_000

/**
 * Promotion after health: for every event waiting on a promotion, finds the
 * deployment of the from-environment it rests on, asks Argo CD about its
 * Application every pollMs (sooner when a webhook hints), records when that
 * deployment became healthy or failed, and when the verdict or its reason
 * changes, writes the promotion's record and makes the events due now: the
 * planner reads the record (cleared: promote; stopped or superseded: skip;
 * waiting: the new reason). Polling is the source of truth; hints only hurry it.
 * Before the worker's first batch its registry is empty: every waiting
 * promotion is then planned again, which loads it.
 */
export class PromotionWatch {
  private readonly next = new Map<string, number>()
  private readonly failures = new Map<string, number>()
  private readonly hinted = new Set<string>()

  constructor(private readonly deps: PromotionWatchDeps) {}

  /** Argo CD said `application` changed: ask about it at the next tick. */
  hint(application: string): void {
    this.hinted.add(application)
  }

  /** One look at every waiting promotion that is due. Returns how many were asked about. */
  async tick(): Promise<number> {
    const { store, clock } = this.deps
    const groups = await this.waiting()
    const hinted = new Set(this.hinted)
    this.hinted.clear()
    let asked = 0
    for (const w of groups.values()) {
      const key = keyOf(w)
      if (!hinted.has(w.promote.application) && (this.next.get(key) ?? 0) > clock().getTime()) continue
      asked++
      this.deps.log.debug({ service: w.service, environment: w.environment, value: w.value, application: w.promote.application }, 'promotion check')
      let ok = true
      try {
        ok = await this.look(w, await store.promotions.get(w.service, w.environment, w.value))
      } catch (e) {
        ok = false
        this.deps.log.warn({ err: e, service: w.service, environment: w.environment }, 'promotion check failed; trying again')
      }
      // Argo CD down: back off from 2 s to the 10 s cap, so it is still asked at least every 10 s.
      const failures = ok ? 0 : (this.failures.get(key) ?? 0) + 1
      this.failures.set(key, failures)
      this.next.set(key, clock().getTime() + (ok ? this.deps.pollMs : Math.min(CAP_MS, 1000 * 2 ** failures)))
    }
    for (const k of this.next.keys()) if (!groups.has(k)) (this.next.delete(k), this.failures.delete(k))
    return asked
  }

  /** The promotions events wait on, by (service, environment, value), with the events. */
  private async waiting(): Promise<Map<string, Waiting>> {
    const registry = this.deps.registry()
    const out = new Map<string, Waiting>()
    for (const r of await this.deps.store.list('waiting', 1000)) {
      for (const t of r.targets) {
        if (t.code !== 'promotion-pending' || t.to === undefined) continue
        const promote = registry.services.get(t.service)?.targets.find((x) => x.environment === t.environment)?.promote
        // Its promote: was removed meanwhile: plan it again under the config as it is.
        if (!promote) {
          await this.requeue([r.id])
          continue
        }
        const w = { service: t.service, environment: t.environment, image: t.image, value: t.to, promote, eventIds: [] as string[] }
        const group = out.get(keyOf(w)) ?? w
        if (!group.eventIds.includes(r.id)) group.eventIds.push(r.id)
        out.set(keyOf(w), group)
      }
    }
    return out
  }

  /** Decides one promotion; false when Argo CD could not be asked. */
  private async look(w: Waiting, record: PromotionRecord | null): Promise<boolean> {
    // Decided before (a crash between the record and the requeue): requeue only.
    if (record && record.state !== 'waiting') return this.requeue(w.eventIds).then(() => true)
    const { store, clock } = this.deps
    const { from, application } = w.promote
    const rows = await store.deployments({ service: w.service, environment: from, limit: 50 })
    const base = fromDeployment(rows, w.image, w.value, from)
    if (!('found' in base)) return this.decide(w, record, { state: base.state, reason: base.reason }).then(() => true)
    const dep = base.found
    let status: ApplicationStatus
    try {
      status = await this.deps.argocd.applicationStatus(application)
    } catch (e) {
      if (!(e instanceof ArgoCdError)) throw e
      // Kept through an outage: the first sighting of Healthy (old Argo CD versions give no transition time) still counts.
      await this.decide(w, record, { state: 'waiting', fromCommit: dep.commit, reason: `${e.message} [${e.code}]`, ...(record?.healthySince && record.fromCommit === dep.commit && { healthySince: record.healthySince }) })
      return false
    }
    const carries = await carriedRevisions(status, dep.commit, this.deps.carries, this.deps.refresh)
    const now = clock()
    const opts = { carries, now, ...(record?.healthySince && { seenHealthySince: record.healthySince }) }
    const v = healthVerdict(status, { ...opts, healthyForMs: w.promote.healthyForMs })
    // The times lead-time and change-failure figures need: the first verdict on the deployment stands.
    const healthy = healthVerdict(status, { ...opts, healthyForMs: 0 })
    if (healthy.verdict === 'promote' && !dep.healthyAt && !dep.failedAt) await store.recordHealth(dep.commit, w.service, from, { healthyAt: healthy.healthySince })
    if (v.verdict === 'stop' && !dep.healthyAt && !dep.failedAt) await store.recordHealth(dep.commit, w.service, from, { failedAt: now.toISOString(), reason: v.reason })
    if (v.verdict === 'promote') await this.decide(w, record, { state: 'cleared', fromCommit: dep.commit, healthySince: v.healthySince, reason: `Healthy since ${v.healthySince}` })
    else if (v.verdict === 'stop') await this.decide(w, record, { state: 'stopped', fromCommit: dep.commit, reason: v.reason })
    else await this.decide(w, record, { state: 'waiting', fromCommit: dep.commit, reason: v.reason, ...(v.healthySince && { healthySince: v.healthySince }) })
    return true
  }

  /** Writes the record when its state or reason changed, and has the events planned again so they show it. */
  private async decide(w: Waiting, record: PromotionRecord | null, next: Pick<PromotionRecord, 'state' | 'reason' | 'fromCommit' | 'healthySince'>): Promise<void> {
    if (record && record.state === next.state && record.reason === next.reason) return
    const now = this.deps.clock()
    await this.deps.store.promotions.set({ service: w.service, environment: w.environment, value: w.value, from: w.promote.from, ...next, updatedAt: now.toISOString() })
    if (next.state !== 'waiting') this.deps.log.info({ service: w.service, environment: w.environment, value: w.value, from: w.promote.from, state: next.state, reason: next.reason }, `promotion ${next.state}`)
    await this.requeue(w.eventIds)
  }

  private async requeue(ids: readonly string[]): Promise<void> {
    if (ids.length > 0 && (await this.deps.store.promotions.wake(ids, this.deps.clock())) > 0) this.deps.wake()
  }
}
