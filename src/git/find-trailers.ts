import { eventIdsIn } from '../plan/commit-message.js'
import type { ObjectStore } from './object-store.js'

/**
 * Walks history back from `head` until `stopAt` (exclusive), looking for
 * commits whose trailers name any of `ids`. This is how a push whose outcome
 * was never recorded (a crash, a dropped connection) is settled: by what the
 * remote's history says, never by pushing again blindly.
 */
export async function findEventCommits(store: ObjectStore, head: string | null, stopAt: string | null, ids: ReadonlySet<string>, maxCommits = 5000): Promise<Map<string, string>> {
  const found = new Map<string, string>()
  if (!head || ids.size === 0) return found
  const queue = [head]
  const seen = new Set<string>()
  while (queue.length > 0 && seen.size < maxCommits && found.size < ids.size) {
    const oid = queue.shift()!
    if (seen.has(oid) || oid === stopAt) continue
    seen.add(oid)
    let commit
    try {
      commit = await store.readCommit(oid)
    } catch {
      continue
    }
    for (const id of eventIdsIn(commit.message)) if (ids.has(id) && !found.has(id)) found.set(id, oid)
    queue.push(...commit.parents)
  }
  return found
}
