import { constants as fsConstants } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { UnsafePathError } from '../core/errors.js'
import { assertSafeRepoPath } from '../core/repo-path.js'
import type { TreeEntry, TreeSource } from '../projects/tree-source.js'

type Kind = TreeEntry['kind']

/**
 * A working copy on disk as a TreeSource, so the registry and editors read it
 * exactly as they read a commit. Listings and file bytes are cached until
 * `invalidate` names them (`--watch` calls it for every changed path), and a
 * folder's id is its generation, bumped by `invalidate` under it: an
 * unchanged service folder keeps its id, which is how loadRegistry knows to
 * reuse it. File ids are constant: validate gives the registry a fresh
 * config cache each run, so they are never compared.
 */
export class FsTree implements TreeSource {
  private readonly lists = new Map<string, Promise<readonly { name: string; kind: Kind }[] | null>>()
  private readonly reads = new Map<string, Promise<Uint8Array | null>>()
  private readonly generations = new Map<string, number>()

  constructor(readonly root: string) {}

  async list(dir: string): Promise<readonly TreeEntry[] | null> {
    let listed = this.lists.get(dir)
    if (!listed) {
      listed = this.readDir(dir)
      this.lists.set(dir, listed)
    }
    const entries = await listed
    if (!entries) return null
    return entries.map((e) => ({ name: e.name, kind: e.kind, oid: e.kind === 'tree' ? `${this.generations.get(join(dir, e.name)) ?? 0}` : 'file' }))
  }

  read(file: string): Promise<Uint8Array | null> {
    let read = this.reads.get(file)
    if (!read) {
      read = this.readFile(file)
      this.reads.set(file, read)
      // A refusal is not cached: the next save may fix it.
      read.catch(() => this.reads.delete(file))
    }
    return read
  }

  /**
   * Forgets what was read at `rel` (a checkout-relative path that changed,
   * appeared or went) and beneath it, and gives every folder above it a new id.
   */
  invalidate(rel: string): void {
    const p = rel.split(path.sep).join('/').replace(/\/+$/, '')
    for (const cache of [this.lists, this.reads] as Map<string, unknown>[]) {
      for (const k of [...cache.keys()]) if (k === p || k.startsWith(`${p}/`)) cache.delete(k)
    }
    const segments = p === '' ? [] : p.split('/')
    for (let i = segments.length - 1; i >= 0; i--) {
      const parent = segments.slice(0, i).join('/')
      this.lists.delete(parent)
      const dir = segments.slice(0, i + 1).join('/')
      this.generations.set(dir, (this.generations.get(dir) ?? 0) + 1)
    }
  }

  private async readDir(dir: string): Promise<{ name: string; kind: Kind }[] | null> {
    if (dir !== '') assertSafeRepoPath(dir)
    try {
      const entries = await fs.readdir(this.abs(dir), { withFileTypes: true })
      return entries
        .filter((e) => e.name !== '.git')
        .map((e) => ({ name: e.name, kind: e.isDirectory() ? 'tree' : e.isSymbolicLink() ? 'symlink' : 'blob' }) as const)
        .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
    } catch (e) {
      if (isMissing(e)) return null
      throw e
    }
  }

  private async readFile(file: string): Promise<Uint8Array | null> {
    assertSafeRepoPath(file)
    try {
      const st = await fs.lstat(this.abs(file))
      // As in a commit: a symlink is refused, never followed out of the checkout.
      if (st.isSymbolicLink()) throw new UnsafePathError(`${file} is a symbolic link`, { path: file })
      if (!st.isFile()) return null
      return await readQuietly(this.abs(file))
    } catch (e) {
      if (isMissing(e)) return null
      throw e
    }
  }

  private abs(rel: string): string {
    return path.join(this.root, ...rel.split('/'))
  }
}

/**
 * Reads without touching the file's access time where the OS allows it (our
 * own file, Linux). An access-time change is a watch event too, and chokidar
 * drops any event within 5 ms of the previous one for a file: a save right
 * after a check read the file would be lost.
 */
async function readQuietly(abs: string): Promise<Uint8Array> {
  const noatime = fsConstants.O_NOATIME
  if (noatime === undefined) return fs.readFile(abs)
  let handle
  try {
    handle = await fs.open(abs, fsConstants.O_RDONLY | noatime)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPERM') return fs.readFile(abs)
    throw e
  }
  try {
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}

const join = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`)

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR'
}
