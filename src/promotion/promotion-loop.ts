import type { Logger } from '../core/logger.js'
import { descendsFrom } from '../git/descends-from.js'
import type { Remote } from '../git/remote.js'
import type { Store } from '../store/store.js'
import type { Worker } from '../worker/worker.js'
import { ArgoCdClient, unconfiguredArgoCd } from './argocd-client.js'
import { PromotionWatch } from './promotion-watch.js'
import { HealthRecorder } from './health-recorder.js'

export interface PromotionLoopDeps {
  readonly store: Store
  readonly remote: Remote
  readonly worker: Worker
  readonly log: Logger
  readonly argocd?: { readonly url: string; readonly token: string; readonly pollMs: number }
  /** How often the waiting promotions are looked for; default 1000 ms (each Application is asked every argocd.pollMs). */
  readonly tickMs?: number
}

/**
 * Runs a PromotionWatch (and, with Argo CD configured, a HealthRecorder for
 * every recent deployment) every tick while the worker leads: git reads go
 * through the worker's exclusive section (one user of the clone at a time).
 * A hint from Argo CD's notifications runs a tick at once.
 */
export function promotionLoop(deps: PromotionLoopDeps) {
  const { worker, remote, log } = deps
  const common = {
    store: deps.store,
    argocd: deps.argocd ? new ArgoCdClient(deps.argocd) : unconfiguredArgoCd,
    registry: () => worker.currentRegistry,
    carries: (base: string, rev: string) => worker.exclusive(() => descendsFrom(remote.objects, base, rev)),
    log,
    clock: () => new Date(),
    pollMs: deps.argocd?.pollMs ?? 10_000,
  }
  const watch = new PromotionWatch({ ...common, refresh: () => worker.refresh(), wake: () => worker.wake() })
  // Every recent deployment's health, when there is an Argo CD to ask.
  const health = deps.argocd ? new HealthRecorder(common) : undefined
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let stopped = true
  const tick = () => {
    if (stopped || running) return
    clearTimeout(timer)
    running = (worker.leader ? watch.tick().then(() => health?.tick()) : Promise.resolve())
      .catch((e) => log.error({ err: e }, 'promotion watch failed'))
      .finally(() => {
        running = undefined
        if (!stopped) timer = setTimeout(tick, deps.tickMs ?? 1000)
      })
  }
  return {
    start(): void {
      stopped = false
      tick()
    },
    hint(application: string): void {
      watch.hint(application)
      tick()
    },
    async stop(): Promise<void> {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
