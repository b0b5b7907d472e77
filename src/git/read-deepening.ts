import type { CommitData } from './object-format.js'
import type { ObjectStore } from './object-store.js'

/** Remote.deepen: fetches up to n more commits behind the shallow boundary; false when the history is complete. */
export type Deepen = (commits: number) => Promise<boolean>

/** Commits fetched per deepen: a walk rarely needs more, and each round trip costs more than the commits. */
export const DEEPEN_STEP = 100

function notFound(e: unknown): boolean {
  return (e as { code?: string } | null)?.code === 'NotFoundError'
}

/**
 * Reads `oid`, a parent of `child`. When it is missing because `child` is on
 * the shallow boundary, deepens once by up to `needed` commits (at most
 * DEEPEN_STEP) and reads again: a deepen counts from the boundary, so one
 * that answered true brought the parent. Null: the commit is not here and
 * cannot be fetched (no deepen given, the history is complete without it,
 * or a deepen that did not bring it).
 */
export async function readParentDeepening(store: ObjectStore, child: string, oid: string, deepen: Deepen | undefined, needed: number): Promise<CommitData | null> {
  try {
    return await store.readCommit(oid)
  } catch (e) {
    if (!notFound(e)) throw e
  }
  if (!deepen || !store.isShallow(child)) return null
  if (!(await deepen(Math.max(1, Math.min(DEEPEN_STEP, needed))))) return null
  try {
    return await store.readCommit(oid)
  } catch (e) {
    if (!notFound(e)) throw e
    return null
  }
}
