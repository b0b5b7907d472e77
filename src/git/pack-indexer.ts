import { createHash } from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { crc32, inflateSync } from 'node:zlib'
import { GitRemoteError } from '../core/errors.js'
import type { ObjectType } from './object-format.js'
import { PackEntryTable } from './pack-entry-table.js'
import { writePackIndex } from './pack-index-writer.js'
import { applyDelta, OFS_DELTA, readEntryHeader, REF_DELTA, TYPES } from './pack-reader.js'
import { appendWholeObject, rewriteHeaderAndTrailer } from './pack-thin.js'
import { PackWindow } from './pack-window.js'

const TYPE_CODE: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 }
/** Bytes scanned between two turns of the event loop: indexing a large pack does not freeze the process. */
const YIELD_BYTES = 8 * 1024 * 1024

export type ExternalObject = { type: ObjectType; content: Buffer }
/** Where a thin pack's missing bases come from (the local object store); null or a rejection: not there. */
export type ResolveExternal = (oid: string) => Promise<ExternalObject | null> | ExternalObject | null

export interface IndexedPack {
  readonly packPath: string
  readonly idxPath: string
  readonly oids: string[]
}

class BadPack extends Error {}

function objectId(typeCode: number, content: Buffer): Buffer {
  return createHash('sha1').update(`${TYPES[typeCode]} ${content.length}\0`).update(content).digest()
}

/**
 * Pass one, in pack order through a bounded window: every entry's header,
 * its extent (by inflating it), its CRC32 and, for a whole object, its id;
 * the pack's checksum along the way. Only the entry table stays.
 */
async function scan(fd: number, size: number): Promise<{ table: PackEntryTable; trailer: Buffer; bodyEnd: number }> {
  if (size < 32) throw new BadPack('too short for a pack')
  const bodyEnd = size - 20
  const w = new PackWindow(fd, size, bodyEnd)
  const head = w.view(0, 12)
  if (head.toString('latin1', 0, 4) !== 'PACK' || ![2, 3].includes(head.readUInt32BE(4))) throw new BadPack('not a version 2 pack')
  const count = head.readUInt32BE(8)
  // Every entry takes at least a header byte and a zlib stream: a count beyond that is a lie, not an allocation to make.
  if (count > bodyEnd / 8) throw new BadPack(`${count} objects cannot fit in ${size} bytes`)
  const table = new PackEntryTable(count)
  let p = 12
  let sinceYield = 0
  for (let i = 0; i < count; i++) {
    if (p >= bodyEnd) throw new BadPack(`truncated after ${i} of ${count} objects`)
    const hb = w.view(p, 32)
    const h = readEntryHeader(hb, 0, p)
    if (h.dataStart > hb.length || !Number.isFinite(h.size)) throw new BadPack(`bad entry header at ${p}`)
    if (!TYPES[h.kind] && h.kind !== OFS_DELTA && h.kind !== REF_DELTA) throw new BadPack(`unknown object type ${h.kind} at ${p}`)
    if (h.kind === OFS_DELTA && ((h.base as number) < 12 || (h.base as number) >= p)) throw new BadPack(`delta base outside the pack at ${p}`)
    const refBase = h.kind === REF_DELTA ? Buffer.from(h.base as string, 'hex') : undefined
    let crc = crc32(hb.subarray(0, h.dataStart))
    const dataPos = p + h.dataStart
    // Deflate rarely grows data by more than a few bytes per 16 KiB block; when it does, the window doubles.
    let guess = h.size + Math.ceil(h.size / 64) + 64
    let out: { buffer: Buffer; engine: { bytesWritten: number } }
    for (;;) {
      const avail = bodyEnd - dataPos
      const data = w.view(dataPos, Math.min(guess, avail))
      try {
        out = inflateSync(data, { info: true, chunkSize: Math.max(64, h.size) }) as unknown as typeof out
        crc = crc32(data.subarray(0, out.engine.bytesWritten), crc)
        break
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' && data.length < avail) guess *= 2
        else throw new BadPack(`object at ${p} does not inflate`)
      }
    }
    if (out.buffer.length !== h.size) throw new BadPack(`object at ${p} has the wrong size`)
    const end = dataPos + out.engine.bytesWritten
    const at = table.add(p, end, crc >>> 0, h.kind, h.kind === OFS_DELTA ? (h.base as number) : -1, refBase)
    if (TYPES[h.kind]) table.setObject(at, objectId(h.kind, out.buffer), h.kind)
    sinceYield += end - p
    p = end
    if (sinceYield >= YIELD_BYTES) {
      sinceYield = 0
      await new Promise((r) => setImmediate(r))
    }
  }
  if (p !== bodyEnd) throw new BadPack(`trailing bytes after ${count} objects`)
  const trailer = Buffer.from(w.view(bodyEnd, 20))
  if (!w.hash.digest().equals(trailer)) throw new BadPack('checksum mismatch')
  return { table, trailer, bodyEnd }
}

/** Deltas by base, sorted so the children of any object are found by binary search. */
function childIndex(table: PackEntryTable): { ofs: number[]; ref: number[] } {
  const ofs: number[] = []
  const ref: number[] = []
  for (let i = 0; i < table.size; i++) {
    if (table.kind[i] === OFS_DELTA) ofs.push(i)
    else if (table.kind[i] === REF_DELTA) ref.push(i)
  }
  ofs.sort((a, b) => table.baseOfs[a]! - table.baseOfs[b]!)
  ref.sort((a, b) => Buffer.compare(table.refBaseOf(a), table.refBaseOf(b)))
  return { ofs, ref }
}

function lowerBound(list: number[], below: (i: number) => boolean): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (below(list[mid]!)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * Pass two: from every object whose content is known, its deltas (by offset
 * and by id) are applied depth first, each delta's data read from disk once.
 * What is held is one chain of contents, never the pack.
 */
class Resolver {
  private readonly kids: { ofs: number[]; ref: number[] }

  constructor(
    private readonly fd: number,
    private readonly table: PackEntryTable,
  ) {
    this.kids = childIndex(table)
  }

  get refDeltas(): readonly number[] {
    return this.kids.ref
  }

  private children(i: number): number[] {
    const t = this.table
    const out: number[] = []
    const off = t.offset[i]!
    for (let k = lowerBound(this.kids.ofs, (j) => t.baseOfs[j]! < off); k < this.kids.ofs.length && t.baseOfs[this.kids.ofs[k]!] === off; k++) out.push(this.kids.ofs[k]!)
    const oid = t.oid(i)
    for (let k = lowerBound(this.kids.ref, (j) => Buffer.compare(t.refBaseOf(j), oid) < 0); k < this.kids.ref.length && t.refBaseOf(this.kids.ref[k]!).equals(oid); k++) out.push(this.kids.ref[k]!)
    return out
  }

  /** The inflated data of entry i, read back from disk. */
  inflate(i: number): Buffer {
    const t = this.table
    const buf = Buffer.allocUnsafe(t.end[i]! - t.offset[i]!)
    fs.readSync(this.fd, buf, 0, buf.length, t.offset[i]!)
    const h = readEntryHeader(buf, 0, t.offset[i]!)
    return inflateSync(buf.subarray(h.dataStart), { chunkSize: Math.max(64, h.size) })
  }

  hasChildren(i: number): boolean {
    return this.children(i).length > 0
  }

  descend(i: number, typeCode: number, content: Buffer): void {
    for (const k of this.children(i)) {
      if (this.table.isResolved(k)) continue
      let out: Buffer
      try {
        out = applyDelta(content, this.inflate(k))
      } catch (e) {
        throw new BadPack(`delta at ${this.table.offset[k]}: ${(e as Error).message}`)
      }
      this.table.setObject(k, objectId(typeCode, out), typeCode)
      this.descend(k, typeCode, out)
    }
  }
}

async function external(resolveExternal: ResolveExternal | undefined, oid: string): Promise<ExternalObject | null> {
  if (!resolveExternal) return null
  try {
    const o = await resolveExternal(oid)
    // A base that does not hash to its id would make every object built on it wrong.
    return o && objectId(TYPE_CODE[o.type], o.content).toString('hex') === oid ? o : null
  } catch {
    return null
  }
}

/** Resolves every delta; a thin pack's outside bases are appended. Returns the trailer, rewritten when bases were appended. */
async function resolveAll(fd: number, table: PackEntryTable, bodyEnd: number, trailer: Buffer, resolveExternal: ResolveExternal | undefined): Promise<Buffer> {
  const r = new Resolver(fd, table)
  const count = table.size
  for (let i = 0; i < count; i++) {
    if (TYPES[table.kind[i]!] && r.hasChildren(i)) {
      r.descend(i, table.kind[i]!, r.inflate(i))
      await new Promise((res) => setImmediate(res))
    }
  }
  if (table.resolved === count) return trailer
  let end = bodyEnd
  const missing = new Set<string>()
  for (const k of r.refDeltas) {
    if (table.isResolved(k)) continue
    const base = table.refBaseOf(k).toString('hex')
    if (missing.has(base)) continue
    const o = await external(resolveExternal, base)
    if (!o) {
      // Perhaps a delta in this pack whose own base is outside: a later base may resolve it.
      missing.add(base)
      continue
    }
    const code = TYPE_CODE[o.type]
    const { length, crc } = appendWholeObject(fd, end, code, o.content)
    const at = table.add(end, end + length, crc, code, -1)
    table.setObject(at, Buffer.from(base, 'hex'), code)
    end += length
    r.descend(at, code, o.content)
  }
  if (table.resolved < table.size) {
    const unresolved = [...missing].filter((b) => r.refDeltas.some((k) => !table.isResolved(k) && table.refBaseOf(k).toString('hex') === b))
    if (unresolved.length > 0) throw new MissingBase(unresolved[0]!, table.size - table.resolved)
    throw new BadPack(`${table.size - table.resolved} deltas whose bases are not in the pack`)
  }
  return rewriteHeaderAndTrailer(fd, end, table.size)
}

class MissingBase extends Error {
  constructor(
    readonly base: string,
    readonly deltas: number,
  ) {
    super(`${deltas} deltas need object ${base}, which is neither in the pack nor in the repository`)
  }
}

async function moveInto(from: string, to: string): Promise<void> {
  try {
    await fsp.rename(from, to)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e
    await fsp.copyFile(from, to)
    await fsp.rm(from, { force: true })
  }
}

/**
 * Indexes a fetched pack that lies in `tmpFile` and moves it into `packDir`
 * as `pack-<checksum>.pack` with its version-2 `.idx`, as `git index-pack`
 * would: read from disk through a bounded window, never whole. A thin pack's
 * outside bases come from `resolveExternal` and are appended to it, as
 * `git index-pack --fix-thin` does. The .pack is moved in before the .idx, so
 * a reader never finds an index without its pack. On any error nothing is
 * left in packDir and tmpFile is removed.
 */
export async function indexPackFile(tmpFile: string, packDir: string, resolveExternal?: ResolveExternal): Promise<IndexedPack> {
  let fd: number | undefined
  let idxTmp: string | undefined
  let placed: string | undefined
  try {
    fd = fs.openSync(tmpFile, 'r+')
    const scanned = await scan(fd, fs.fstatSync(fd).size)
    const { table } = scanned
    const trailer = await resolveAll(fd, table, scanned.bodyEnd, scanned.trailer, resolveExternal)
    fs.closeSync(fd)
    fd = undefined
    const oids: string[] = new Array(table.size)
    const entries = Array.from({ length: table.size }, (_, i) => ({ oid: (oids[i] = table.oidHex(i)), offset: table.offset[i]!, crc: table.crc[i]! }))
    const idx = writePackIndex(entries, trailer)
    await fsp.mkdir(packDir, { recursive: true })
    const packPath = path.join(packDir, `pack-${trailer.toString('hex')}.pack`)
    const idxPath = packPath.replace(/\.pack$/, '.idx')
    idxTmp = `${idxPath}.tmp-${process.pid}`
    await fsp.writeFile(idxTmp, idx)
    await moveInto(tmpFile, packPath)
    placed = packPath
    await fsp.rename(idxTmp, idxPath)
    return { packPath, idxPath, oids: oids.sort() }
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd)
    await fsp.rm(tmpFile, { force: true })
    if (idxTmp) await fsp.rm(idxTmp, { force: true })
    if (placed) await fsp.rm(placed, { force: true })
    if (e instanceof MissingBase) throw new GitRemoteError(`the fetched pack is thin: ${e.message}`, { reason: 'missing-base', base: e.base })
    if (e instanceof BadPack) throw new GitRemoteError(`the fetched pack is damaged: ${e.message}`, { reason: 'bad-pack' })
    throw e
  }
}
