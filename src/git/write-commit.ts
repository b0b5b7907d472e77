import { UnsafePathError } from '../core/errors.js'
import { assertSafeRepoPath } from '../core/repo-path.js'
import { isNamed, personLine, type TreeItem } from './object-format.js'
import type { ObjectStore } from './object-store.js'

export interface Person {
  readonly name: string
  readonly email: string
}

export interface CommitInput {
  readonly parent: string | null
  /** Repository path → new content. */
  readonly files: ReadonlyMap<string, Uint8Array>
  readonly message: string
  readonly author: Person
  readonly when: Date
}

/** A commit made in memory, with every object it added (what a push must send, what a flush writes). */
export interface WrittenCommit {
  readonly oid: string
  readonly objects: readonly string[]
}

interface Node {
  blobs: Map<string, string>
  dirs: Map<string, Node>
}

/**
 * Makes new blobs, the trees on their paths and a commit, touching only the
 * trees along changed paths: the cost follows the change, not the repo.
 * Nothing is written to disk here; see ObjectStore.flush.
 */
export async function writeCommit(store: ObjectStore, input: CommitInput): Promise<WrittenCommit> {
  const objects: string[] = []
  const root: Node = { blobs: new Map(), dirs: new Map() }
  for (const [path, content] of input.files) {
    const parts = assertSafeRepoPath(path).split('/')
    let node = root
    for (const dir of parts.slice(0, -1)) {
      let next = node.dirs.get(dir)
      if (!next) {
        next = { blobs: new Map(), dirs: new Map() }
        node.dirs.set(dir, next)
      }
      node = next
    }
    const oid = store.putBlob(Buffer.from(content))
    objects.push(oid)
    node.blobs.set(parts[parts.length - 1]!, oid)
  }
  const parentTree = input.parent ? (await store.readCommit(input.parent)).tree : null

  const rewrite = async (treeOid: string | null, node: Node, at: string): Promise<string> => {
    // A copy of the old entries with the changed ones replaced in place: no index of the whole
    // folder is built, and when nothing is added the old order (git's) still holds. Entries
    // whose names are not UTF-8 are carried over with their bytes (TreeItem.raw).
    const entries = treeOid ? (await store.readTree(treeOid)).slice() : []
    let added = false
    const changed: number[] = []
    const set = (item: TreeItem, check: (old: TreeItem) => void) => {
      const i = entries.findIndex((e) => isNamed(e, item.path))
      if (i < 0) {
        entries.push(item)
        added = true
      } else {
        check(entries[i]!)
        entries[i] = { ...item, mode: item.type === 'blob' ? entries[i]!.mode : item.mode }
        changed.push(i)
      }
    }
    for (const [name, oid] of node.blobs) {
      set({ mode: '100644', path: name, oid, type: 'blob' }, (old) => {
        if (old.type !== 'blob') throw new UnsafePathError(`${at}${name} is a ${old.type}, not a file`, { path: `${at}${name}` })
        if (old.mode === '120000') throw new UnsafePathError(`${at}${name} is a symbolic link`, { path: `${at}${name}` })
      })
    }
    for (const [name, child] of node.dirs) {
      const old = entries.find((e) => isNamed(e, name))
      if (old && old.type !== 'tree') throw new UnsafePathError(`${at}${name} is not a folder`, { path: `${at}${name}` })
      const oid = await rewrite(old?.oid ?? null, child, `${at}${name}/`)
      set({ mode: '40000', path: name, oid, type: 'tree' }, () => undefined)
    }
    // Only ids changed (a deploy): the old tree's bytes patched, not every entry encoded again.
    const oid = treeOid !== null && !added ? await store.putTreeChanged(treeOid, entries, changed) : store.putTree(entries)
    objects.push(oid)
    return oid
  }

  const tree = await rewrite(parentTree, root, '')
  const person = personLine(input.author.name, input.author.email, input.when)
  const oid = store.putCommit({ tree, parents: input.parent ? [input.parent] : [], author: person, committer: person, message: input.message })
  objects.push(oid)
  // Two files with the same content are one blob.
  return { oid, objects: [...new Set(objects)] }
}
