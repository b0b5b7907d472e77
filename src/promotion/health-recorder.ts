import type { Logger } from '../core/logger.js'
import type { Registry } from '../projects/registry.js'
import type { DeploymentRecord, Store } from '../store/store.js'
import { ArgoCdError } from './argocd-client.js'
import { healthVerdict, type ApplicationStatus } from './health-verdict.js'
import { carriedRevisions } from './carried-revisions.js'

export interface HealthRecorderDeps {
  readonly store: Pick<Store, 'deployments' | 'recordHealth'>
  readonly argocd: { applicationStatus(name: string): Promise<ApplicationStatus> }
  readonly registry: () => Registry
  readonly carries: (base: string, rev: string) => Promise<boolean | 'unknown'>
  readonly clock: () => Date
  readonly log: Logger
  readonly pollMs: number
  /** How long after it was applied a deployment is watched for a verdict; default 1 h. */
  readonly watchForMs?: number
}

/** The newest rows are looked at: one page of history covers every deployment of the last hour in all but the busiest repos. */
const RECENT = 200

/**
 * Records when each recent deployment became healthy (or failed), as Argo CD
 * reports its environment's Application: the times lead time and
 * change-failure figures need, for every environment, not only those a
 * promotion waits on. A deployment is watched until a verdict, until a newer
 * one replaces it, or for watchForMs; an environment Argo CD has no
 * Application for is not asked again.
 */
export class HealthRecorder {
  private readonly next = new Map<string, number>()
  private readonly unknownApps = new Set<string>()

  constructor(private readonly deps: HealthRecorderDeps) {}

  async tick(): Promise<void> {
    const { store, clock } = this.deps
    const now = clock().getTime()
    const since = now - (this.deps.watchForMs ?? 3_600_000)
    const seen = new Set<string>()
    const open: DeploymentRecord[] = []
    for (const d of await store.deployments({ limit: RECENT })) {
      const env = `${d.service}\u0000${d.environment}\u0000${d.image}`
      if (seen.has(env)) continue
      seen.add(env)
      if (Date.parse(d.appliedAt) >= since && !d.healthyAt && !d.failedAt) open.push(d)
    }
    const keys = new Set<string>()
    for (const d of open) {
      const key = `${d.commit}\u0000${d.service}\u0000${d.environment}`
      keys.add(key)
      const app = this.deps.registry().services.get(d.service)?.targets.find((t) => t.environment === d.environment)?.application
      if (!app || this.unknownApps.has(app) || (this.next.get(key) ?? 0) > now) continue
      this.next.set(key, now + this.deps.pollMs)
      await this.look(d, app).catch((e) => this.deps.log.warn({ err: e, service: d.service, environment: d.environment }, 'health check failed; trying again'))
    }
    for (const k of this.next.keys()) if (!keys.has(k)) this.next.delete(k)
  }

  private async look(d: DeploymentRecord, app: string): Promise<void> {
    let status: ApplicationStatus
    try {
      status = await this.deps.argocd.applicationStatus(app)
    } catch (e) {
      if (e instanceof ArgoCdError && (e.code === 'ARGOCD_NOT_FOUND' || e.code === 'ARGOCD_NOT_CONFIGURED')) this.unknownApps.add(app)
      else if (!(e instanceof ArgoCdError)) throw e
      return
    }
    const carries = await carriedRevisions(status, d.commit, this.deps.carries)
    const v = healthVerdict(status, { carries, healthyForMs: 0, now: this.deps.clock() })
    if (v.verdict === 'promote') await this.deps.store.recordHealth(d.commit, d.service, d.environment, { healthyAt: v.healthySince })
    else if (v.verdict === 'stop') await this.deps.store.recordHealth(d.commit, d.service, d.environment, { failedAt: this.deps.clock().toISOString(), reason: v.reason })
  }
}
