import type { PendingEvent, TargetOutcome } from '../core/change-set.js'
import { refMatches } from '../projects/branch-filter.js'
import type { Registry, Service, ServiceTarget } from '../projects/registry.js'

export interface Candidate {
  readonly service: Service
  readonly target: ServiceTarget
}

/** An event with the targets it may change and the decisions already made without reading a file. */
export interface MatchedEvent {
  readonly pending: PendingEvent
  readonly candidates: readonly Candidate[]
  readonly decided: readonly TargetOutcome[]
}

function outcome(service: Service, environment: string, file: string | null | undefined, decision: 'skip' | 'reject', code: string, reason: string): TargetOutcome {
  return { service: service.name, environment, file: file ?? null, image: service.config!.image, decision, code, reason }
}

/** Finds the services that deploy the event's image and authorises the event's source for each. */
export function matchEvent(pending: PendingEvent, registry: Registry): MatchedEvent {
  const { event } = pending
  if (event.rollback) return matchRollback(pending, registry)
  const candidates: Candidate[] = []
  const decided: TargetOutcome[] = []
  for (const service of registry.byImage.get(event.image) ?? []) {
    const config = service.config!
    const each = service.targets.length > 0 ? service.targets : [null]
    const all = (decision: 'skip' | 'reject', code: string, reason: string) => {
      for (const t of each) decided.push(outcome(service, t?.environment ?? '', t?.files[0], decision, code, reason))
    }
    if (config.source !== event.source) {
      all('reject', 'source-mismatch', `${event.source} is not the source of ${service.dir} (its source is ${config.source})`)
      continue
    }
    if (!event.ref) {
      all('skip', 'branch-filtered', `the event names no ref; ${service.dir} deploys builds of ${config.branches.join(', ')}`)
      continue
    }
    if (!refMatches(event.ref, config.branches)) {
      all('skip', 'branch-filtered', `${event.ref} is not in branches [${config.branches.join(', ')}] of ${service.dir}`)
      continue
    }
    if (service.targets.length === 0) {
      all('skip', 'target-missing', `${service.dir} has no environments (no overlays/* folders and none configured)`)
      continue
    }
    for (const target of service.targets) {
      if (target.files.length === 0) decided.push(outcome(service, target.environment, null, 'skip', 'target-missing', target.problem ?? `${target.dir} has no file to edit`))
      else candidates.push({ service, target })
    }
  }
  return { pending, candidates, decided }
}

/**
 * A rollback names its one target: the admin token authorised it, so neither
 * the source nor the branch filter is asked. A repo without the service says
 * nothing (no-target, as for an image nobody deploys); a service without that
 * environment, or that deploys another image now, is target-missing.
 */
function matchRollback(pending: PendingEvent, registry: Registry): MatchedEvent {
  const { event } = pending
  const { service: name, environment } = event.rollback!
  const service = registry.services.get(name)
  if (!service?.config) return { pending, candidates: [], decided: [] }
  const target = service.targets.find((t) => t.environment === environment)
  const missing = (reason: string): MatchedEvent => ({ pending, candidates: [], decided: [outcome(service, environment, target?.files[0], 'skip', 'target-missing', reason)] })
  if (service.config.image !== event.image) return missing(`${service.dir} deploys ${service.config.image} now, not ${event.image}`)
  if (!target) return missing(`${service.dir} has no environment ${environment}`)
  if (target.files.length === 0) return missing(target.problem ?? `${target.dir} has no file to edit`)
  return { pending, candidates: [{ service, target }], decided: [] }
}

/** Every file the planner will read for these events. */
export function filesNeeded(matched: readonly MatchedEvent[]): string[] {
  return [...new Set(matched.flatMap((m) => m.candidates.flatMap((c) => c.target.files)))]
}
