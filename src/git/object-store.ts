import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { constants, deflateSync, inflateSync } from 'node:zlib'
import { decodeCommit, decodeTree, encodeCommit, encodeTree, hashObject, inGitOrder, type CommitData, type ObjectType, type TreeItem } from './object-format.js'
import { PackReader } from './pack-reader.js'
import { writePack } from './pack-writer.js'
import { PATCHABLE_BYTES, patchTree, type EncodedTree } from './tree-patch.js'

/**
 * A buffer that owns exactly its bytes. zlib's output and Buffer's small-
 * allocation pool hand out views into larger blocks; a cached view keeps the
 * whole block alive (a 300-byte blob pinning 16 KiB showed as hundreds of MiB).
 */
function owned(b: Buffer): Buffer {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length) return b
  const copy = Buffer.allocUnsafeSlow(b.length)
  b.copy(copy)
  return copy
}

interface Cached {
  readonly type: ObjectType
  readonly value: Buffer | readonly TreeItem[] | CommitData
  readonly size: number
  /** A large tree's bytes, kept so that the next version of it is a patch (tree-patch.ts). */
  readonly encoded?: EncodedTree
}

/**
 * The local object database of a repository, with a bounded cache of parsed
 * objects. Objects are immutable, so caching by id is always right. New
 * objects are hashed and kept in memory (`put`), packed for a push straight
 * from memory, and written to disk as loose objects by `flush`.
 */
export class ObjectStore {
  private readonly cache = new Map<string, Cached>()
  private cacheBytes = 0
  private readonly pending = new Map<string, { type: ObjectType; content: Buffer }>()

  constructor(
    readonly gitdir: string,
    private readonly maxCacheBytes = 16 * 1024 * 1024,
  ) {}

  private remember(oid: string, entry: Cached): void {
    const old = this.cache.get(oid)
    if (old) {
      this.cache.delete(oid)
      this.cacheBytes -= old.size
    }
    this.cache.set(oid, entry)
    this.cacheBytes += entry.size
    for (const [k, v] of this.cache) {
      if (this.cacheBytes <= this.maxCacheBytes) break
      this.cache.delete(k)
      this.cacheBytes -= v.size
    }
  }

  private recall(oid: string): Cached | undefined {
    const hit = this.cache.get(oid)
    if (hit) {
      // Least recently used goes first.
      this.cache.delete(oid)
      this.cache.set(oid, hit)
    }
    return hit
  }

  private shallow: { readonly stamp: string; readonly oids: ReadonlySet<string> } | undefined

  /**
   * The commits of the shallow boundary (`<gitdir>/shallow`, as git writes it):
   * their parents are not here. Read again when the file changed (a fetch or a
   * deepen rewrites it by rename; a deepen to the root removes it).
   */
  shallowCommits(): ReadonlySet<string> {
    let stamp = 'absent'
    const file = path.join(this.gitdir, 'shallow')
    try {
      const st = fs.statSync(file)
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    }
    if (this.shallow?.stamp !== stamp) {
      const text = stamp === 'absent' ? '' : fs.readFileSync(file, 'latin1')
      this.shallow = { stamp, oids: new Set(text.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l))) }
    }
    return this.shallow.oids
  }

  /** Whether `oid` is on the shallow boundary: its parents were never fetched. */
  isShallow(oid: string): boolean {
    return this.shallowCommits().has(oid)
  }

  private packs: PackReader[] | undefined

  /** Opens every pack in the repository; call again after a fetch added one. */
  refreshPacks(): void {
    const dir = path.join(this.gitdir, 'objects', 'pack')
    const known = new Map((this.packs ?? []).map((p) => [p.packPath, p]))
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.pack') && fs.existsSync(path.join(dir, n.replace(/\.pack$/, '.idx')))) : []
    this.packs = names.map((n) => known.get(path.join(dir, n)) ?? new PackReader(path.join(dir, n)))
  }

  private readPacked(oid: string): { type: ObjectType; content: Buffer } | null {
    if (!this.packs) this.refreshPacks()
    for (const pack of this.packs!) {
      const hit = pack.read(oid, (base) => this.readSyncAnywhere(base))
      if (hit) return hit
    }
    return null
  }

  private readLooseSync(oid: string): { type: ObjectType; content: Buffer } | null {
    let raw: Buffer
    try {
      raw = inflateSync(fs.readFileSync(path.join(this.gitdir, 'objects', oid.slice(0, 2), oid.slice(2))))
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw e
    }
    const nul = raw.indexOf(0)
    const [type] = raw.toString('latin1', 0, nul).split(' ')
    return { type: type as ObjectType, content: raw.subarray(nul + 1) }
  }

  /** For a delta whose base lives outside its pack (thin packs completed elsewhere). */
  private readSyncAnywhere(oid: string): { type: ObjectType; content: Buffer } {
    const o = this.pending.get(oid) ?? this.readPacked(oid) ?? this.readLooseSync(oid)
    if (!o) throw new Error(`object ${oid} not found`)
    return o
  }

  /** Raw content of any object: memory, the packs (indexes held in memory), then a loose object. */
  async read(oid: string): Promise<{ type: ObjectType; content: Buffer }> {
    const o = this.pending.get(oid) ?? this.readPacked(oid) ?? this.readLooseSync(oid)
    if (o) return o
    // A pack written since the list was made (a fetch).
    this.refreshPacks()
    const again = this.readPacked(oid)
    if (again) return again
    throw Object.assign(new Error(`object ${oid} not found`), { code: 'NotFoundError' })
  }

  async has(oid: string): Promise<boolean> {
    if (this.pending.has(oid) || this.cache.has(oid)) return true
    try {
      await this.read(oid)
      return true
    } catch {
      return false
    }
  }

  private async typed(oid: string, want: ObjectType): Promise<Cached> {
    const hit = this.recall(oid)
    if (hit) return hit
    const { type, content } = await this.read(oid)
    if (type !== want) throw new Error(`object ${oid} is a ${type}, not a ${want}`)
    const value = type === 'tree' ? decodeTree(content) : type === 'commit' ? decodeCommit(content) : owned(content)
    const keep = type === 'tree' && content.length >= PATCHABLE_BYTES
    // Parsed trees cost about three times their bytes in objects and strings.
    const entry: Cached = { type, value, size: type === 'blob' ? content.length + 64 : content.length * (keep ? 4 : 3) + 64, ...(keep && { encoded: { bytes: owned(content) } }) }
    this.remember(oid, entry)
    return entry
  }

  async readBlob(oid: string): Promise<Buffer> {
    return (await this.typed(oid, 'blob')).value as Buffer
  }

  async readTree(oid: string): Promise<readonly TreeItem[]> {
    return (await this.typed(oid, 'tree')).value as readonly TreeItem[]
  }

  async readCommit(oid: string): Promise<CommitData> {
    return (await this.typed(oid, 'commit')).value as CommitData
  }

  /** Hashes a new object and keeps it in memory until `flush`. */
  put(type: ObjectType, content: Buffer): string {
    const oid = hashObject(type, content)
    if (!this.pending.has(oid)) this.pending.set(oid, { type, content: owned(content) })
    return oid
  }

  putBlob(content: Buffer): string {
    return this.put('blob', content)
  }

  putTree(entries: readonly TreeItem[], inOrder = false): string {
    // The cached entries must be in the order of the bytes: a tree read back from
    // memory has to list as one read from disk does (found by registry-update.test).
    const list = inOrder ? entries : inGitOrder(entries)
    return this.putEncoded(list, { bytes: encodeTree(list, true) })
  }

  private putEncoded(entries: readonly TreeItem[], encoded: EncodedTree): string {
    const oid = this.put('tree', encoded.bytes)
    const keep = encoded.bytes.length >= PATCHABLE_BYTES
    this.remember(oid, { type: 'tree', value: entries, size: entries.length * 150 + (keep ? encoded.bytes.length : 0), ...(keep && { encoded }) })
    return oid
  }

  /**
   * A tree that is `base` with only the entries at `changed` given new ids:
   * patched from base's bytes when they are at hand, so its cost is a copy
   * and a hash, not an encoding of every entry.
   */
  async putTreeChanged(base: string, entries: readonly TreeItem[], changed: readonly number[]): Promise<string> {
    const old = await this.typed(base, 'tree')
    const patched = old.encoded && patchTree(old.encoded, old.value as readonly TreeItem[], entries, changed)
    return patched ? this.putEncoded(entries, patched) : this.putTree(entries, true)
  }

  putCommit(data: CommitData): string {
    const oid = this.put('commit', encodeCommit(data))
    this.remember(oid, { type: 'commit', value: data, size: data.message.length + 256 })
    return oid
  }

  /** A packfile of the given objects, which must still be in memory. */
  pack(oids: readonly string[]): Buffer {
    return writePack(
      [...new Set(oids)].map((oid) => {
        const o = this.pending.get(oid)
        if (!o) throw new Error(`object ${oid} is not waiting to be written`)
        return o
      }),
    )
  }

  /** Writes pending objects to disk as loose objects (temp file, then rename: never a torn object). */
  async flush(oids: readonly string[] = [...this.pending.keys()]): Promise<void> {
    const dirs = new Map<string, Promise<unknown>>()
    await Promise.all(
      [...new Set(oids)].map(async (oid) => {
        const o = this.pending.get(oid)
        if (!o) return
        const dir = path.join(this.gitdir, 'objects', oid.slice(0, 2))
        const file = path.join(dir, oid.slice(2))
        // Every writer into a folder waits for the one mkdir of it.
        let made = dirs.get(dir)
        if (!made) {
          made = fsp.mkdir(dir, { recursive: true })
          dirs.set(dir, made)
        }
        await made
        const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
        // git's own level for loose objects (core.looseCompression): a large tree is written after every push.
        await fsp.writeFile(tmp, deflateSync(Buffer.concat([Buffer.from(`${o.type} ${o.content.length}\0`), o.content]), { level: constants.Z_BEST_SPEED }), { mode: 0o444 })
        await fsp.rename(tmp, file)
      }),
    )
    for (const oid of oids) this.pending.delete(oid)
  }

  /** Drops unflushed objects (a commit that will not be pushed). */
  discard(oids: readonly string[]): void {
    for (const oid of oids) this.pending.delete(oid)
  }
}
