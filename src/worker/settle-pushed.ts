import type { EventOutcome } from '../core/change-set.js'
import type { Logger } from '../core/logger.js'
import { eventStatusOf } from '../plan/event-status.js'
import { findEventCommits } from '../git/find-trailers.js'
import type { ObjectStore } from '../git/object-store.js'
import type { EventRecord, Finish, Store } from '../store/store.js'

/**
 * Events recorded as being pushed whose outcome was never written (a crash or
 * a lost answer after the push) are settled from the remote's history: the
 * ones whose `Infra-Sync-Event` trailer is there are final with that commit.
 * An event whose pull-request environments were still to be proposed when
 * the commit landed is `carried`: planned again for them, its committed
 * targets kept (see carryOver).
 * Returns the records still to plan, what was settled, and what is carried.
 */
export async function settlePushed(
  objects: ObjectStore,
  store: Store,
  log: Logger,
  head: string | null,
  records: readonly EventRecord[],
  now: Date,
): Promise<{ remaining: readonly EventRecord[]; settled: Finish[]; carried: Map<string, Carried> }> {
  const carried = new Map<string, Carried>()
  const unsettled = records.filter((r) => r.pushBase !== undefined)
  if (unsettled.length === 0) return { remaining: records, settled: [], carried }
  const bases = new Set(unsettled.map((r) => r.pushBase ?? null))
  const stopAt = bases.size === 1 ? [...bases][0]! : null
  const found = await findEventCommits(objects, head, stopAt, new Set(unsettled.map((r) => r.id)))
  if (found.size === 0) return { remaining: records, settled: [], carried }
  const settled: Finish[] = []
  for (const r of unsettled) {
    const commit = found.get(r.id)
    if (!commit || !r.pushOutcome) continue
    if (r.pushOutcome.targets.some((t) => t.update === 'pull-request' && t.status === 'proposed' && !t.pullRequest)) carried.set(r.id, { outcome: r.pushOutcome, commit })
    else settled.push({ kind: 'final', outcome: r.pushOutcome, commit })
  }
  await store.finish(settled, [], now)
  log.info({ events: [...found.keys()], commits: [...new Set(found.values())] }, 'found already-pushed events in the remote history')
  return { remaining: records.filter((r) => !found.has(r.id) || carried.has(r.id)), settled, carried }
}

/** An event whose commit landed while its pull requests were not yet made. */
export interface Carried {
  readonly outcome: EventOutcome
  readonly commit: string
}

/**
 * A carried event's outcome: its committed targets as recorded before the
 * push (planned again they would read already-current), its pull-request
 * targets as planned now.
 */
export function carryOver(outcomes: readonly EventOutcome[], carried: ReadonlyMap<string, Carried>): EventOutcome[] {
  if (carried.size === 0) return [...outcomes]
  return outcomes.map((o) => {
    const c = carried.get(o.id)
    if (!c || o.status === 'failed') return o
    const lanes = new Set(c.outcome.targets.filter((t) => t.update === 'pull-request').map((t) => `${t.service}\u0000${t.environment}`))
    const inLane = (t: EventOutcome['targets'][number]) => lanes.has(`${t.service}\u0000${t.environment}`)
    const targets = [...c.outcome.targets.filter((t) => !inLane(t)), ...o.targets.filter(inLane)]
    const { code: _c, reason: _r, ...rest } = c.outcome
    return { ...rest, status: eventStatusOf(targets, 'skipped'), targets }
  })
}
