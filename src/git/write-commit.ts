import fs from 'node:fs'
import git from 'isomorphic-git'
import { UnsafePathError } from '../core/errors.js'
import { assertSafeRepoPath } from '../core/repo-path.js'

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

/** A commit written to the object store, with every object it added (what a push must send). */
export interface WrittenCommit {
  readonly oid: string
  readonly objects: readonly string[]
}

interface Node {
  blobs: Map<string, string>
  dirs: Map<string, Node>
}

/**
 * Writes new blobs, the trees on their paths and a commit, touching only the
 * trees along changed paths: the cost follows the change, not the repo.
 */
export async function writeCommit(gitdir: string, cache: object, input: CommitInput): Promise<WrittenCommit> {
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
    const oid = await git.writeBlob({ fs, gitdir, blob: content })
    objects.push(oid)
    node.blobs.set(parts[parts.length - 1]!, oid)
  }
  const parentTree = input.parent ? (await git.readCommit({ fs, gitdir, oid: input.parent, cache })).commit.tree : null

  const rewrite = async (treeOid: string | null, node: Node, at: string): Promise<string> => {
    const entries = treeOid ? [...(await git.readTree({ fs, gitdir, oid: treeOid, cache })).tree] : []
    const byName = new Map(entries.map((e) => [e.path, e]))
    for (const [name, oid] of node.blobs) {
      const old = byName.get(name)
      if (old && old.type !== 'blob') throw new UnsafePathError(`${at}${name} is a ${old.type}, not a file`, { path: `${at}${name}` })
      if (old?.mode === '120000') throw new UnsafePathError(`${at}${name} is a symbolic link`, { path: `${at}${name}` })
      byName.set(name, { mode: old?.mode ?? '100644', path: name, oid, type: 'blob' })
    }
    for (const [name, child] of node.dirs) {
      const old = byName.get(name)
      if (old && old.type !== 'tree') throw new UnsafePathError(`${at}${name} is not a folder`, { path: `${at}${name}` })
      const oid = await rewrite(old?.oid ?? null, child, `${at}${name}/`)
      byName.set(name, { mode: '040000', path: name, oid, type: 'tree' })
    }
    const oid = await git.writeTree({ fs, gitdir, tree: [...byName.values()] })
    objects.push(oid)
    return oid
  }

  const tree = await rewrite(parentTree, root, '')
  const person = { ...input.author, timestamp: Math.floor(input.when.getTime() / 1000), timezoneOffset: 0 }
  const oid = await git.writeCommit({
    fs,
    gitdir,
    commit: { message: input.message, tree, parent: input.parent ? [input.parent] : [], author: person, committer: person },
  })
  objects.push(oid)
  return { oid, objects }
}
