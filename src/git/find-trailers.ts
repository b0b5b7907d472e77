import { eventIdsIn } from '../plan/commit-message.js'
import type { ObjectStore } from './object-store.js'
import { readParentDeepening, type Deepen } from './read-deepening.js'

export interface EventCommits {
  /** Event id → the commit whose trailer names it. */
  readonly found: Map<string, string>
  /**
   * False when a commit between `head` and `stopAt` could not be read (behind
   * a shallow boundary that cannot be deepened, or missing): an event not in
   * `found` may still be in that part of the history.
   */
  readonly complete: boolean
}

/**
 * Walks history back from `head` until `stopAt` (exclusive), looking for
 * commits whose trailers name any of `ids`. This is how a push whose outcome
 * was never recorded (a crash, a dropped connection) is settled: by what the
 * remote's history says, never by pushing again blindly. A shallow clone is
 * deepened (`deepen`) when the walk reaches its boundary.
 */
export async function findEventCommits(
  store: ObjectStore,
  head: string | null,
  stopAt: string | null,
  ids: ReadonlySet<string>,
  maxCommits = 5000,
  deepen?: Deepen,
): Promise<EventCommits> {
  const found = new Map<string, string>()
  if (!head || ids.size === 0) return { found, complete: true }
  let complete = true
  // Each commit with the child it was reached from (null: head), which tells whether it lies behind the boundary.
  const queue: [string, string | null][] = [[head, null]]
  const seen = new Set<string>()
  while (queue.length > 0 && seen.size < maxCommits && found.size < ids.size) {
    const [oid, child] = queue.shift()!
    if (seen.has(oid) || oid === stopAt) continue
    seen.add(oid)
    const commit = child === null ? await store.readCommit(oid) : await readParentDeepening(store, child, oid, deepen, maxCommits - seen.size + 1)
    if (!commit) {
      complete = false
      continue
    }
    for (const id of eventIdsIn(commit.message)) if (ids.has(id) && !found.has(id)) found.set(id, oid)
    for (const p of commit.parents) queue.push([p, oid])
  }
  return { found, complete }
}
