import fs from 'node:fs'
import git from 'isomorphic-git'
import { UnsafePathError } from '../core/errors.js'
import { assertSafeRepoPath } from '../core/repo-path.js'
import type { TreeEntry, TreeSource } from '../projects/tree-source.js'

const KIND: Record<string, TreeEntry['kind']> = { '040000': 'tree', '100644': 'blob', '100755': 'blob', '120000': 'symlink', '160000': 'submodule' }

export interface RawEntry {
  readonly mode: string
  readonly path: string
  readonly oid: string
  readonly type: 'blob' | 'tree' | 'commit'
}

/** Reads one commit's tree straight from git objects, without a working tree. */
export class GitSnapshot implements TreeSource {
  private readonly dirs = new Map<string, Promise<readonly RawEntry[] | null>>()

  constructor(
    private readonly gitdir: string,
    readonly commit: string,
    private readonly rootTree: string,
    private readonly cache: object,
  ) {}

  static async at(gitdir: string, commit: string, cache: object): Promise<GitSnapshot> {
    const { commit: c } = await git.readCommit({ fs, gitdir, oid: commit, cache })
    return new GitSnapshot(gitdir, commit, c.tree, cache)
  }

  /** Raw entries of a directory (modes included), memoised per snapshot. */
  entries(path: string): Promise<readonly RawEntry[] | null> {
    const key = path === '' ? '' : assertSafeRepoPath(path)
    let p = this.dirs.get(key)
    if (!p) {
      p = this.load(key)
      this.dirs.set(key, p)
    }
    return p
  }

  private async load(path: string): Promise<readonly RawEntry[] | null> {
    if (path === '') return (await git.readTree({ fs, gitdir: this.gitdir, oid: this.rootTree, cache: this.cache })).tree
    const slash = path.lastIndexOf('/')
    const parent = await this.entries(slash < 0 ? '' : path.slice(0, slash))
    const e = parent?.find((x) => x.path === path.slice(slash + 1))
    if (!e || e.type !== 'tree') return null
    return (await git.readTree({ fs, gitdir: this.gitdir, oid: e.oid, cache: this.cache })).tree
  }

  async list(path: string): Promise<readonly TreeEntry[] | null> {
    const raw = await this.entries(path)
    return raw ? raw.map((e) => ({ name: e.path, kind: KIND[e.mode] ?? 'blob', oid: e.oid })) : null
  }

  async entry(path: string): Promise<RawEntry | null> {
    const safe = assertSafeRepoPath(path)
    const slash = safe.lastIndexOf('/')
    const dir = await this.entries(slash < 0 ? '' : safe.slice(0, slash))
    return dir?.find((x) => x.path === safe.slice(slash + 1)) ?? null
  }

  async read(path: string): Promise<Uint8Array | null> {
    const e = await this.entry(path)
    if (!e) return null
    if (e.mode === '120000') throw new UnsafePathError(`${path} is a symbolic link; infra-sync does not follow links`, { path })
    if (e.type !== 'blob') return null
    return (await git.readBlob({ fs, gitdir: this.gitdir, oid: e.oid, cache: this.cache })).blob
  }
}
