import { UnsafePathError } from '../core/errors.js'
import { assertSafeRepoPath } from '../core/repo-path.js'
import type { TreeEntry, TreeSource } from '../projects/tree-source.js'
import { isNamed, type TreeItem } from './object-format.js'
import type { ObjectStore } from './object-store.js'
import { diffTrees } from './tree-diff.js'

const KIND: Record<string, TreeEntry['kind']> = { '40000': 'tree', '040000': 'tree', '100644': 'blob', '100755': 'blob', '120000': 'symlink', '160000': 'submodule' }

const toEntry = (e: TreeItem): TreeEntry => ({ name: e.path, kind: KIND[e.mode] ?? 'blob', oid: e.oid })

/** Reads one commit's tree straight from git objects, without a working tree. */
export class GitSnapshot implements TreeSource {
  private readonly dirs = new Map<string, Promise<readonly TreeItem[] | null>>()
  /** Name → entry of large directories: services/ has a folder per service, each looked up once per load (quadratic by scan). */
  private readonly byName = new WeakMap<readonly TreeItem[], Map<string, TreeItem>>()

  /** The entry named `name` (UTF-8 names only; see isNamed) in a directory listing. */
  private named(dir: readonly TreeItem[], name: string): TreeItem | undefined {
    if (dir.length < 64) return dir.find((x) => isNamed(x, name))
    let index = this.byName.get(dir)
    if (!index) {
      index = new Map()
      for (const x of dir) if (x.raw === undefined) index.set(x.path, x)
      this.byName.set(dir, index)
    }
    return index.get(name)
  }

  constructor(
    private readonly store: ObjectStore,
    readonly commit: string,
    readonly rootTree: string,
  ) {}

  static async at(store: ObjectStore, commit: string): Promise<GitSnapshot> {
    return new GitSnapshot(store, commit, (await store.readCommit(commit)).tree)
  }

  /** Raw entries of a directory (modes included), memoised per snapshot. */
  entries(path: string): Promise<readonly TreeItem[] | null> {
    let p = this.dirs.get(path)
    if (!p) {
      const key = path === '' ? '' : assertSafeRepoPath(path)
      p = this.dirs.get(key) ?? this.load(key)
      this.dirs.set(path, p)
      this.dirs.set(key, p)
    }
    return p
  }

  private async load(path: string): Promise<readonly TreeItem[] | null> {
    if (path === '') return this.store.readTree(this.rootTree)
    const slash = path.lastIndexOf('/')
    const parent = await this.entries(slash < 0 ? '' : path.slice(0, slash))
    // The name once, not once per entry: services/ has an entry per folder.
    const name = path.slice(slash + 1)
    const e = parent && this.named(parent, name)
    if (!e || e.type !== 'tree') return null
    return this.store.readTree(e.oid)
  }

  /** A name that is not UTF-8 cannot be named by a config or a path, so it is not offered (it stays in the tree as it is). */
  async list(path: string): Promise<readonly TreeEntry[] | null> {
    const raw = await this.entries(path)
    return raw ? raw.filter((e) => e.raw === undefined).map(toEntry) : null
  }

  async entry(path: string): Promise<TreeItem | null> {
    const safe = assertSafeRepoPath(path)
    const slash = safe.lastIndexOf('/')
    const dir = await this.entries(slash < 0 ? '' : safe.slice(0, slash))
    const name = safe.slice(slash + 1)
    return (dir && this.named(dir, name)) ?? null
  }

  async treeId(path: string): Promise<string | null> {
    if (path === '') return this.rootTree
    const e = await this.entry(path)
    return e?.type === 'tree' ? e.oid : null
  }

  /** Compares the two trees' entries, so a folder that kept its id is never looked at (see tree-diff.ts). */
  async changedSince(path: string, since: string): Promise<{ name: string; entry: TreeEntry | null }[] | null> {
    let before: readonly TreeItem[]
    try {
      before = await this.store.readTree(since)
    } catch {
      return null
    }
    const after = (await this.entries(path)) ?? []
    return diffTrees(before, after).map((c) => ({ name: c.name, entry: c.after && toEntry(c.after) }))
  }

  async read(path: string): Promise<Uint8Array | null> {
    const e = await this.entry(path)
    if (!e) return null
    if (e.mode === '120000') throw new UnsafePathError(`${path} is a symbolic link; infra-sync does not follow links`, { path })
    if (e.type !== 'blob') return null
    return this.store.readBlob(e.oid)
  }
}
