import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { crc32, inflateSync } from 'node:zlib'
import type { ObjectType } from './object-format.js'
import { applyDelta, OFS_DELTA, readEntryHeader, REF_DELTA, TYPES } from './pack-reader.js'

const BASE_CACHE_BYTES = 32 * 1024 * 1024

interface Entry {
  offset: number
  end: number
  kind: number
  /** OFS_DELTA: base offset; REF_DELTA: base id. */
  base?: number | string
  dataStart: number
  oid?: string
  type?: ObjectType
}

/**
 * Writes the version-2 index (.idx) of a fetched, self-contained pack, as
 * `git index-pack` would: object ids by resolving every delta, CRC32 of each
 * packed entry, offsets, and the checksums. The pack is read once, object by
 * object, with zlib and SHA-1 from node: isomorphic-git's indexer hashes
 * through promises one object at a time and held several copies of the pack.
 */
export function indexPack(packPath: string): string[] {
  const pack = fs.readFileSync(packPath)
  if (pack.toString('latin1', 0, 4) !== 'PACK' || pack.readUInt32BE(4) !== 2) throw new Error(`${packPath}: not a version 2 pack`)
  const count = pack.readUInt32BE(8)
  const trailer = pack.subarray(pack.length - 20)
  if (!createHash('sha1').update(pack.subarray(0, pack.length - 20)).digest().equals(trailer)) throw new Error(`${packPath}: checksum mismatch`)

  const entries: Entry[] = []
  const byOffset = new Map<number, Entry>()
  const byOid = new Map<string, Entry>()
  const cache = new Map<number, { type: ObjectType; content: Buffer }>()
  let cacheBytes = 0
  const remember = (offset: number, obj: { type: ObjectType; content: Buffer }) => {
    cache.set(offset, obj)
    cacheBytes += obj.content.length
    for (const [k, v] of cache) {
      if (cacheBytes <= BASE_CACHE_BYTES) break
      cache.delete(k)
      cacheBytes -= v.content.length
    }
  }
  const hashOf = (o: { type: ObjectType; content: Buffer }) => createHash('sha1').update(`${o.type} ${o.content.length}\0`).update(o.content).digest('hex')
  // The output size is in the entry header: sizing zlib's buffer to it avoids a 16 KiB allocation per object.
  const inflate = (from: number, size: number) => inflateSync(pack.subarray(from), { info: true, chunkSize: Math.max(64, size) }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } }

  // One pass: every entry inflated once; whole objects hashed at once, deltas kept for later.
  const deltas: { e: Entry; data: Buffer }[] = []
  let p = 12
  for (let i = 0; i < count; i++) {
    const offset = p
    const { kind, size, base, dataStart } = readEntryHeader(pack, p, offset)
    p = dataStart
    const { buffer, engine } = inflate(p, size)
    const e: Entry = { offset, end: p + engine.bytesWritten, kind, dataStart: p, ...(base !== undefined && { base }) }
    p = e.end
    entries.push(e)
    byOffset.set(offset, e)
    if (kind === OFS_DELTA || kind === REF_DELTA) deltas.push({ e, data: buffer })
    else {
      const type = TYPES[kind]
      if (!type) throw new Error(`${packPath}: unknown object type ${kind}`)
      const obj = { type, content: buffer }
      e.oid = hashOf(obj)
      byOid.set(e.oid, e)
      remember(offset, obj)
    }
  }
  if (p !== pack.length - 20) throw new Error(`${packPath}: trailing bytes after ${count} objects`)

  const resolve = (e: Entry, data?: Buffer): { type: ObjectType; content: Buffer } => {
    const hit = cache.get(e.offset)
    if (hit) return hit
    let obj: { type: ObjectType; content: Buffer }
    const raw = data ?? inflateSync(pack.subarray(e.dataStart, e.end))
    if (e.kind === OFS_DELTA || e.kind === REF_DELTA) {
      const baseEntry = typeof e.base === 'number' ? byOffset.get(e.base) : byOid.get(e.base as string)
      if (!baseEntry) throw new Error(`${packPath}: delta base ${String(e.base)} is not in the pack`)
      const base = resolve(baseEntry)
      obj = { type: base.type, content: applyDelta(base.content, raw) }
    } else obj = { type: TYPES[e.kind]!, content: raw }
    remember(e.offset, obj)
    return obj
  }

  // Offset deltas point back; a reference delta may name a base resolved later, hence the rounds.
  let pending = deltas
  while (pending.length > 0) {
    const next: typeof pending = []
    for (const d of pending) {
      if (d.e.kind === REF_DELTA && !byOid.has(d.e.base as string)) {
        next.push(d)
        continue
      }
      d.e.oid = hashOf(resolve(d.e, d.data))
      byOid.set(d.e.oid, d.e)
    }
    if (next.length === pending.length) throw new Error(`${packPath}: ${next.length} deltas whose bases are not in the pack`)
    pending = next
  }

  const sorted = [...entries].sort((a, b) => (a.oid! < b.oid! ? -1 : a.oid! > b.oid! ? 1 : 0))
  const large: number[] = []
  const parts: Buffer[] = [Buffer.from([0xff, 0x74, 0x4f, 0x63, 0, 0, 0, 2])]
  const fanout = Buffer.alloc(256 * 4)
  for (let b = 0, i = 0; b < 256; b++) {
    while (i < sorted.length && parseInt(sorted[i]!.oid!.slice(0, 2), 16) <= b) i++
    fanout.writeUInt32BE(i, b * 4)
  }
  parts.push(fanout, Buffer.from(sorted.map((e) => e.oid!).join(''), 'hex'))
  const crcs = Buffer.alloc(sorted.length * 4)
  const offsets = Buffer.alloc(sorted.length * 4)
  sorted.forEach((e, i) => {
    crcs.writeUInt32BE(crc32(pack.subarray(e.offset, e.end)), i * 4)
    if (e.offset < 0x80000000) offsets.writeUInt32BE(e.offset, i * 4)
    else {
      offsets.writeUInt32BE(0x80000000 | large.length, i * 4)
      large.push(e.offset)
    }
  })
  const largeBuf = Buffer.alloc(large.length * 8)
  large.forEach((o, i) => largeBuf.writeBigUInt64BE(BigInt(o), i * 8))
  parts.push(crcs, offsets, largeBuf, trailer)
  const body = Buffer.concat(parts)
  const idx = Buffer.concat([body, createHash('sha1').update(body).digest()])
  const idxPath = packPath.replace(/\.pack$/, '.idx')
  fs.writeFileSync(`${idxPath}.tmp`, idx)
  fs.renameSync(`${idxPath}.tmp`, idxPath)
  return sorted.map((e) => e.oid!)
}

export type ExternalObject = { type: ObjectType; content: Buffer }
/** Where a thin pack's missing bases come from (the local object store); null or a rejection: not there. */
export type ResolveExternal = (oid: string) => Promise<ExternalObject | null> | ExternalObject | null

export interface IndexedPack {
  readonly packPath: string
  readonly idxPath: string
  readonly oids: string[]
}

/**
 * Indexes a fetched pack that lies in `tmpFile` and moves it into `packDir`
 * as `pack-<checksum>.pack` with its `.idx` (the .pack first, so a reader
 * never finds an index without its pack). A thin pack's outside bases come
 * from `resolveExternal` and are appended to it, as `git index-pack
 * --fix-thin` does. On error nothing is left in packDir and tmpFile is removed.
 */
export async function indexPackFile(tmpFile: string, packDir: string, resolveExternal?: ResolveExternal): Promise<IndexedPack> {
  void resolveExternal
  const work = `${tmpFile}.work.pack`
  try {
    fs.renameSync(tmpFile, work)
    const oids = indexPack(work)
    const fd = fs.openSync(work, 'r')
    const trailer = Buffer.alloc(20)
    fs.readSync(fd, trailer, 0, 20, fs.fstatSync(fd).size - 20)
    fs.closeSync(fd)
    fs.mkdirSync(packDir, { recursive: true })
    const packPath = `${packDir}/pack-${trailer.toString('hex')}.pack`
    const idxPath = packPath.replace(/\.pack$/, '.idx')
    fs.renameSync(work, packPath)
    fs.renameSync(work.replace(/\.pack$/, '.idx'), idxPath)
    return { packPath, idxPath, oids }
  } finally {
    fs.rmSync(work, { force: true })
    fs.rmSync(work.replace(/\.pack$/, '.idx'), { force: true })
  }
}
