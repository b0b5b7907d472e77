import type { EventOutcome } from '../core/change-set.js'
import type { Logger } from '../core/logger.js'
import { eventStatusOf } from '../plan/event-status.js'
import { findEventCommits } from '../git/find-trailers.js'
import type { ObjectStore } from '../git/object-store.js'
import type { Deepen } from '../git/read-deepening.js'
import type { EventRecord, Fence, Finish, Store } from '../store/store.js'

/**
 * Events recorded as being pushed whose outcome was never written (a crash or
 * a lost answer after the push) are settled from the remote's history: the
 * ones whose `Infra-Sync-Event` trailer is there are final with that commit.
 * An event whose pull-request environments were still to be proposed when
 * the commit landed is `carried`: planned again for them, its committed
 * targets kept (see carryOver).
 * Returns the records still to plan, what was settled, and what is carried.
 * `deepen` fetches history behind a shallow clone's boundary as the walk needs it;
 * `fence` is the lease the batch claimed under (a lost one writes nothing).
 */
export async function settlePushed(
  objects: ObjectStore,
  store: Store,
  log: Logger,
  head: string | null,
  records: readonly EventRecord[],
  now: Date,
  deepen?: Deepen,
  fence?: Fence,
): Promise<{ remaining: readonly EventRecord[]; settled: Finish[]; carried: Map<string, Carried> }> {
  const carried = new Map<string, Carried>()
  const unsettled = records.filter((r) => r.pushBase !== undefined)
  if (unsettled.length === 0) return { remaining: records, settled: [], carried }
  const bases = new Set(unsettled.map((r) => r.pushBase ?? null))
  const stopAt = bases.size === 1 ? [...bases][0]! : null
  const { found, complete } = await findEventCommits(objects, head, stopAt, new Set(unsettled.map((r) => r.id)), undefined, deepen)
  // Part of the history could not be read: an event not found may be in it. Planned again, it
  // could be pushed twice (over a later human change), so it is dead, for a person to check.
  const unknown = complete ? [] : unsettled.filter((r) => !found.has(r.id))
  if (found.size === 0 && unknown.length === 0) return { remaining: records, settled: [], carried }
  const settled: Finish[] = unknown.map((r) => ({
    kind: 'dead',
    id: r.id,
    code: 'PUSH_OUTCOME_UNKNOWN',
    reason: `its push's outcome was never recorded and the history since ${r.pushBase ?? 'the first commit'} cannot be read in full to tell whether it landed`,
  }))
  for (const r of unsettled) {
    const commit = found.get(r.id)
    if (!commit || !r.pushOutcome) continue
    if (r.pushOutcome.targets.some((t) => t.update === 'pull-request' && t.status === 'proposed' && !t.pullRequest)) carried.set(r.id, { outcome: r.pushOutcome, commit })
    else settled.push({ kind: 'final', outcome: r.pushOutcome, commit })
  }
  await store.finish(settled, [], now, { ...(fence && { fence }) })
  if (found.size > 0) log.info({ events: [...found.keys()], commits: [...new Set(found.values())] }, 'found already-pushed events in the remote history')
  if (unknown.length > 0) log.warn({ events: unknown.map((r) => r.id), code: 'PUSH_OUTCOME_UNKNOWN' }, 'history behind the shallow clone cannot be fetched; events whose push may have landed are dead')
  const gone = new Set(unknown.map((r) => r.id))
  return { remaining: records.filter((r) => !gone.has(r.id) && (!found.has(r.id) || carried.has(r.id))), settled, carried }
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
