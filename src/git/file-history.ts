import { InfraSyncError } from '../core/errors.js'
import type { ObjectStore } from './object-store.js'
import { readParentDeepening, type Deepen } from './read-deepening.js'
import { GitSnapshot } from './snapshot.js'

/** A file whose value at head entered it at some commit; `holds` tells whether an older version of it still has that value. */
export interface FileValueQuestion {
  readonly path: string
  /** Epoch ms: once the walk reaches commits older than this, which one set the value no longer matters. */
  readonly notBefore?: number
  holds(bytes: Uint8Array): boolean
}

export interface FileValueOrigin {
  readonly commit: string
  /** ISO instant, the commit's committer time. */
  readonly committedAt: string
  /** False when the walk stopped first (bound, shallow history, `notBefore`): the value is at least this old. */
  readonly exact: boolean
}

/** Enough for any value a person set by hand recently; older ones are old enough that the bound does not matter. */
export const MAX_HISTORY_WALK = 500

/** Committer time of a commit header's `committer` line (`Name <mail> 1700000000 +0100`); 0 when unreadable. */
export function committerTime(committer: string): number {
  const m = / (\d{1,15}) [+-]\d{4}$/.exec(committer)
  return m ? Number(m[1]) * 1000 : 0
}

async function blobAt(snapshot: GitSnapshot, path: string): Promise<string | null> {
  const e = await snapshot.entry(path)
  return e && e.type === 'blob' && e.mode !== '120000' ? e.oid : null
}

/**
 * For each question, the commit that put the file's value there: walking
 * first-parent history from `head` (the branch as people see it, merges
 * included at the time they merged), the oldest commit of the unbroken run
 * that still holds it. A file whose blob did not change is not read again.
 * All questions share one walk of at most `maxCommits` commits; when it is
 * cut short the oldest commit reached stands in (`exact: false`). A question
 * stops as soon as commits are older than its `notBefore`: like `git log
 * --since`, the walk takes committer times to fall along first parents.
 * A shallow clone is deepened (`deepen`) when the walk reaches its boundary.
 * Null: the file has no value at head.
 */
export async function valueOrigins(
  store: ObjectStore,
  head: string | null,
  questions: readonly FileValueQuestion[],
  maxCommits = MAX_HISTORY_WALK,
  deepen?: Deepen,
): Promise<(FileValueOrigin | null)[]> {
  const out: (FileValueOrigin | null)[] = questions.map(() => null)
  if (!head || questions.length === 0) return out
  let oid = head
  let commit = await store.readCommit(head)
  const snapshot = new GitSnapshot(store, head, commit.tree)
  // Question index → the file's blob at the commit being looked at.
  const open = new Map<number, string>()
  for (const [i, q] of questions.entries()) {
    const blob = await blobAt(snapshot, q.path)
    if (blob) open.set(i, blob)
  }
  for (let steps = 1; open.size > 0; steps++) {
    const at = committerTime(commit.committer)
    const settle = (i: number, exact: boolean) => {
      out[i] = { commit: oid, committedAt: new Date(at).toISOString(), exact }
      open.delete(i)
    }
    for (const i of open.keys()) if (at < (questions[i]!.notBefore ?? -Infinity)) settle(i, false)
    const parentOid = commit.parents[0]
    if (open.size === 0) break
    if (parentOid === undefined) {
      for (const i of open.keys()) settle(i, true)
      break
    }
    if (steps >= maxCommits) {
      for (const i of open.keys()) settle(i, false)
      break
    }
    // A deepen that fails (the remote is down) fails the walk: a planning decision never rests on a network blip.
    const parent = await readParentDeepening(store, oid, parentOid, deepen, maxCommits - steps).catch((e: unknown) => {
      if (e instanceof InfraSyncError) throw e
      return null
    })
    const blobs = new Map<number, { oid: string | null; bytes?: Buffer }>()
    try {
      // History this clone does not have and cannot fetch: the value is at least this old.
      if (!parent) throw new Error('history not here')
      const older = new GitSnapshot(store, parentOid, parent.tree)
      for (const [i, blob] of open) {
        const b = await blobAt(older, questions[i]!.path)
        blobs.set(i, b === null || b === blob ? { oid: b } : { oid: b, bytes: await store.readBlob(b) })
      }
    } catch {
      for (const i of open.keys()) settle(i, false)
      break
    }
    for (const [i, blob] of open) {
      const b = blobs.get(i)!
      if (b.oid === blob) continue
      if (b.oid !== null && questions[i]!.holds(b.bytes!)) open.set(i, b.oid)
      else settle(i, true)
    }
    oid = parentOid
    commit = parent
  }
  return out
}
