import type { ObjectStore } from './object-store.js'

/**
 * Whether commit `rev` is `base` or has it in its history, walking at most
 * `limit` commits back from `rev`. `unknown`: `rev` is not in the clone yet
 * (fetch, then ask again), or the walk met the clone's shallow boundary or
 * the limit before deciding. Argo CD syncs the branch's head, which is
 * usually a later commit than the one that deployed.
 */
export async function descendsFrom(objects: ObjectStore, base: string, rev: string, limit = 5000): Promise<boolean | 'unknown'> {
  if (rev === base) return true
  if (!(await objects.has(rev))) return 'unknown'
  const seen = new Set<string>([rev])
  const queue = [rev]
  let open = false
  while (queue.length > 0) {
    if (seen.size > limit) return 'unknown'
    const oid = queue.shift()!
    if (objects.isShallow(oid) || !(await objects.has(oid))) {
      open = true
      continue
    }
    for (const p of (await objects.readCommit(oid)).parents) {
      if (p === base) return true
      if (!seen.has(p)) {
        seen.add(p)
        queue.push(p)
      }
    }
  }
  return open ? 'unknown' : false
}
