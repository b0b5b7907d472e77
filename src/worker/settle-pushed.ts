import type { Logger } from '../core/logger.js'
import { findEventCommits } from '../git/find-trailers.js'
import type { ObjectStore } from '../git/object-store.js'
import type { EventRecord, Finish, Store } from '../store/store.js'

/**
 * Events recorded as being pushed whose outcome was never written (a crash or
 * a lost answer after the push) are settled from the remote's history: the
 * ones whose `Infra-Sync-Event` trailer is there are final with that commit.
 * Returns the records still to plan, and what was settled.
 */
export async function settlePushed(objects: ObjectStore, store: Store, log: Logger, head: string | null, records: readonly EventRecord[], now: Date): Promise<{ remaining: readonly EventRecord[]; settled: Finish[] }> {
  const unsettled = records.filter((r) => r.pushBase !== undefined)
  if (unsettled.length === 0) return { remaining: records, settled: [] }
  const bases = new Set(unsettled.map((r) => r.pushBase ?? null))
  const stopAt = bases.size === 1 ? [...bases][0]! : null
  const found = await findEventCommits(objects, head, stopAt, new Set(unsettled.map((r) => r.id)))
  if (found.size === 0) return { remaining: records, settled: [] }
  const settled: Finish[] = []
  for (const r of unsettled) {
    const commit = found.get(r.id)
    if (commit && r.pushOutcome) settled.push({ kind: 'final', outcome: r.pushOutcome, commit })
  }
  await store.finish(settled, [], now)
  log.info({ events: [...found.keys()], commits: [...new Set(found.values())] }, 'found already-pushed events in the remote history')
  return { remaining: records.filter((r) => !found.has(r.id)), settled }
}
