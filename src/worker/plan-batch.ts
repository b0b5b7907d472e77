import { performance } from 'node:perf_hooks'
import type { ChangeSet, PendingEvent } from '../core/change-set.js'
import { InfraSyncError } from '../core/errors.js'
import { decodeFile } from '../editors/file-codec.js'
import { MAX_HISTORY_WALK, valueOrigins } from '../git/file-history.js'
import type { ObjectStore } from '../git/object-store.js'
import type { Deepen } from '../git/read-deepening.js'
import { GitSnapshot } from '../git/snapshot.js'
import { BatchPlanner, type FileContent } from '../plan/build-change-set.js'
import { humanValues, originLookup } from '../plan/human-values.js'
import { filesNeeded, matchEvent, type Candidate } from '../plan/match-events.js'
import { emptyRegistry, loadRegistry, type Registry } from '../projects/registry.js'
import type { PinRecord } from '../store/pins.js'
import type { DeployWindow } from '../windows/deploy-windows.js'
import { targetKey, type ProposalState, type Store, type TargetKey } from '../store/store.js'

export interface PlannedBatch {
  readonly registry: Registry
  readonly changeSet: ChangeSet
}

/**
 * Reads what the pure planner needs at `head` (the service registry, the
 * files the events touch, infra-sync's own last values, the proposals of
 * pull-request targets, and when a value a human committed entered git) and
 * plans `pending` on it. `pullRequests`: whether this worker has a forge to
 * deliver pull-request targets with; without one they are skipped.
 * `deepen` fetches older history of a shallow clone when a value's age needs it.
 * `windows`: the server's deploy windows and the batch's clock they are read at.
 */
export async function planBatch(
  objects: ObjectStore,
  store: Store,
  head: string | null,
  pending: Iterable<PendingEvent>,
  previous: Registry,
  onPhase: (name: string) => void,
  pullRequests = false,
  deepen?: Deepen,
  windows?: { readonly windows?: readonly DeployWindow[]; readonly now: Date },
): Promise<PlannedBatch> {
  const snapshot = head ? await GitSnapshot.at(objects, head) : null
  const registry = snapshot ? await loadRegistry(snapshot, previous) : emptyRegistry()
  onPhase('registry')
  const matched = [...pending].map((p) => matchEvent(p, registry))
  const files = new Map<string, FileContent>()
  for (const path of filesNeeded(matched)) files.set(path, await readFile(snapshot!, path))
  const keyOf = (c: Candidate): TargetKey => ({ service: c.service.name, environment: c.target.environment, image: c.service.config!.image })
  const keys = matched.flatMap((m) => m.candidates.map(keyOf))
  const history = await store.lastApplied(keys)
  const lastApplied = (service: string, environment: string, image: string) => history.get(targetKey({ service, environment, image }))
  const proposing = new Map<string, TargetKey>()
  if (pullRequests) for (const m of matched) for (const c of m.candidates) if (c.target.update === 'pull-request') proposing.set(targetKey(keyOf(c)), keyOf(c))
  const states = proposing.size > 0 ? await store.proposals([...proposing.values()]) : new Map<string, ProposalState>()
  const proposals = (service: string, environment: string, image: string) => states.get(targetKey({ service, environment, image }))
  // Pins set through the API: few (a person sets each), so read whole.
  const pinned = keys.length > 0 ? new Map((await store.pins.list()).map((p) => [`${p.service}\u0000${p.environment}`, p])) : new Map<string, PinRecord>()
  const pins = (service: string, environment: string) => pinned.get(`${service}\u0000${environment}`)
  // A value infra-sync did not apply (rare) is as new as the commit that set it: look that up in history.
  const questions = humanValues(matched, files, lastApplied)
  const origins = originLookup(questions, await valueOrigins(objects, head, questions, MAX_HISTORY_WALK, deepen))
  // Promotion records: few (one per promoted build), read whole when a target promotes.
  const promoted = matched.some((m) => m.candidates.some((c) => c.target.promote)) ? await store.promotions.list() : []
  const promotionsByKey = new Map(promoted.toReversed().map((p) => [`${p.service}\u0000${p.environment}\u0000${p.value}`, p]))
  const promotions = (service: string, environment: string, value: string) => promotionsByKey.get(`${service}\u0000${environment}\u0000${value}`)
  const planner = new BatchPlanner(files, lastApplied, { pullRequests, proposals, pins, promotions, ...(windows?.windows && { windows: windows.windows }), ...(windows && { now: windows.now }) }, origins)
  let slice = performance.now()
  for (const m of matched) {
    planner.add(m)
    // Planning a large batch is CPU work; let intake answer in between.
    if (performance.now() - slice > 4) {
      await new Promise((r) => setImmediate(r))
      slice = performance.now()
    }
  }
  onPhase('plan')
  return { registry, changeSet: planner.result() }
}

async function readFile(snapshot: GitSnapshot, path: string): Promise<FileContent> {
  try {
    const bytes = await snapshot.read(path)
    return bytes === null ? null : { text: decodeFile(bytes, path) }
  } catch (e) {
    if (e instanceof InfraSyncError) return { error: e }
    throw e
  }
}
