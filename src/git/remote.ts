import type { ObjectStore } from './object-store.js'
import type { WrittenCommit } from './write-commit.js'

/**
 * Where the infra repo lives. Objects are always read and written in the
 * local `gitdir`; a Remote moves refs (and, over HTTP, objects) between it and
 * the repository of record.
 */
export interface Remote {
  /** Safe to log: no credentials. */
  readonly description: string
  readonly gitdir: string
  readonly branch: string
  /** The local object database; set by prepare(). */
  readonly objects: ObjectStore
  /** Creates the local clone or checks the local repo. */
  prepare(): Promise<void>
  /** Makes the branch head and its objects available locally; returns the head (null for an empty repo). */
  sync(): Promise<string | null>
  /**
   * Moves the branch from `base` to `commit` if and only if it is still at
   * `base`. Throws PushRejectedError when it moved, GitRemoteError when the
   * outcome is unknown or the remote refused for another reason.
   * The commit's objects are in `objects`, in memory; push writes them to disk.
   */
  push(base: string | null, commit: WrittenCommit): Promise<void>
  /** The remote's refs whose names start with `prefix` (e.g. refs/heads/infra-sync/), name → oid. */
  listRefs(prefix: string): Promise<Map<string, string>>
  /**
   * Moves any other ref (a pull request's branch) from `expected` (null: it
   * must not exist) to `commit`: a lease, never a force. PushRejectedError
   * when it is not at `expected`; PushRefusedError when the remote refuses for
   * another reason. Leaves `branch`'s local tracking as it is.
   */
  pushRef(ref: string, expected: string | null, commit: WrittenCommit): Promise<void>
  /**
   * Fetches up to `commits` more commits of the branch's history behind the
   * shallow boundary of the local clone (a first clone is shallow). False when
   * the local history is already complete, so a walk that needs older commits
   * knows it has reached the true beginning.
   */
  deepen(commits: number): Promise<boolean>
  close(): Promise<void>
}
