import fs from 'node:fs'
import { inflateSync } from 'node:zlib'
import type { ObjectType } from './object-format.js'

export const TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' }
export const OFS_DELTA = 6
export const REF_DELTA = 7

export interface EntryHeader {
  readonly kind: number
  /** Size of the inflated data: sizes zlib's output buffer (its 16 KiB default costs an allocation per object). */
  readonly size: number
  /** OFS_DELTA: the base's offset in the pack; REF_DELTA: the base's id. */
  readonly base?: number | string
  /** Where the deflated data starts in `buf`. */
  readonly dataStart: number
}

/** Reads the header of the pack entry at `at` in `buf`, which lies at `offset` in the pack. */
export function readEntryHeader(buf: Buffer, at: number, offset: number): EntryHeader {
  let p = at
  let byte = buf[p++]!
  const kind = (byte >> 4) & 7
  let size = byte & 0x0f
  let shift = 4
  while (byte & 0x80) {
    byte = buf[p++]!
    size += (byte & 0x7f) * 2 ** shift
    shift += 7
  }
  if (kind === OFS_DELTA) {
    byte = buf[p++]!
    let back = byte & 0x7f
    while (byte & 0x80) {
      byte = buf[p++]!
      back = (back + 1) * 128 + (byte & 0x7f)
    }
    return { kind, size, base: offset - back, dataStart: p }
  }
  if (kind === REF_DELTA) return { kind, size, base: buf.toString('hex', p, p + 20), dataStart: p + 20 }
  return { kind, size, dataStart: p }
}

/** git's own packed-object window is larger (core.packedGitWindowSize); 64 KiB × 16 bounds this cache at 1 MiB per pack. */
const CHUNK_BYTES = 64 * 1024
const MAX_CHUNKS = 16

/**
 * Reads objects from one packfile through its version-2 index: a binary
 * search in memory, one positioned read, one inflate, and delta resolution.
 * What isomorphic-git does on every read (list the pack folder, load the whole
 * pack) is done once here, when the pack is opened.
 */
export class PackReader {
  private readonly fd: number
  private readonly count: number
  private readonly fanout: Uint32Array
  private readonly names: Buffer
  private readonly offsets: number[]
  /** Object offsets in pack order: where each object's data ends is where the next begins. */
  private readonly sorted: Float64Array
  private readonly packSize: number
  /** Recently resolved objects by offset: delta chains share their bases. */
  private readonly bases = new Map<number, { type: ObjectType; content: Buffer }>()

  constructor(readonly packPath: string) {
    const idx = fs.readFileSync(packPath.replace(/\.pack$/, '.idx'))
    if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) throw new Error(`${packPath}: unsupported pack index`)
    this.fanout = new Uint32Array(256)
    for (let i = 0; i < 256; i++) this.fanout[i] = idx.readUInt32BE(8 + i * 4)
    this.count = this.fanout[255]!
    const namesAt = 8 + 256 * 4
    this.names = idx.subarray(namesAt, namesAt + this.count * 20)
    const offsetsAt = namesAt + this.count * 20 + this.count * 4
    const largeAt = offsetsAt + this.count * 4
    this.offsets = new Array<number>(this.count)
    for (let i = 0; i < this.count; i++) {
      const o = idx.readUInt32BE(offsetsAt + i * 4)
      this.offsets[i] = o & 0x80000000 ? Number(idx.readBigUInt64BE(largeAt + (o & 0x7fffffff) * 8)) : o
    }
    this.sorted = Float64Array.from(this.offsets).sort()
    this.fd = fs.openSync(packPath, 'r')
    this.packSize = fs.fstatSync(this.fd).size
  }

  /** Position of an object in the index, or -1. */
  private find(oid: string): number {
    const key = Buffer.from(oid, 'hex')
    const first = key[0]!
    let lo = first === 0 ? 0 : this.fanout[first - 1]!
    let hi = this.fanout[first]!
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      // names[mid] compared with the key.
      const c = this.names.compare(key, 0, 20, mid * 20, mid * 20 + 20)
      if (c === 0) return mid
      if (c < 0) lo = mid + 1
      else hi = mid
    }
    return -1
  }

  has(oid: string): boolean {
    return this.find(oid) >= 0
  }

  read(oid: string, resolveExternal: (oid: string) => { type: ObjectType; content: Buffer }): { type: ObjectType; content: Buffer } | null {
    const i = this.find(oid)
    return i < 0 ? null : this.readAt(this.offsets[i]!, resolveExternal)
  }

  private end(offset: number): number {
    let lo = 0
    let hi = this.sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.sorted[mid]! <= offset) lo = mid + 1
      else hi = mid
    }
    return lo < this.sorted.length ? this.sorted[lo]! : this.packSize - 20
  }

  private readAt(offset: number, resolveExternal: (oid: string) => { type: ObjectType; content: Buffer }): { type: ObjectType; content: Buffer } {
    const hit = this.bases.get(offset)
    if (hit) return hit
    const obj = this.decode(offset, resolveExternal)
    this.bases.set(offset, obj)
    if (this.bases.size > 512) this.bases.delete(this.bases.keys().next().value!)
    return obj
  }

  private decode(offset: number, resolveExternal: (oid: string) => { type: ObjectType; content: Buffer }): { type: ObjectType; content: Buffer } {
    const buf = this.bytes(offset, this.end(offset) - offset)
    const h = readEntryHeader(buf, 0, offset)
    const inflate = () => inflateSync(buf.subarray(h.dataStart), { chunkSize: Math.max(64, h.size) })
    if (h.kind === OFS_DELTA) {
      const base = this.readAt(h.base as number, resolveExternal)
      return { type: base.type, content: applyDelta(base.content, inflate()) }
    }
    if (h.kind === REF_DELTA) {
      const baseOid = h.base as string
      const i = this.find(baseOid)
      const base = i >= 0 ? this.readAt(this.offsets[i]!, resolveExternal) : resolveExternal(baseOid)
      return { type: base.type, content: applyDelta(base.content, inflate()) }
    }
    const t = TYPES[h.kind]
    if (!t) throw new Error(`${this.packPath}: unknown object type ${h.kind} at ${offset}`)
    return { type: t, content: inflate() }
  }

  /** Recently read stretches of the pack by start: one read serves the many small objects a tree walk reads near each other. */
  private readonly chunks = new Map<number, Buffer>()

  /** `length` bytes at `offset`: a small object from a cached chunk, a large one read alone. */
  private bytes(offset: number, length: number): Buffer {
    const at = offset - (offset % CHUNK_BYTES)
    if (length > CHUNK_BYTES / 4 || offset + length > at + CHUNK_BYTES) {
      const buf = Buffer.allocUnsafe(length)
      fs.readSync(this.fd, buf, 0, length, offset)
      return buf
    }
    let chunk = this.chunks.get(at)
    if (!chunk) {
      chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, this.packSize - at))
      fs.readSync(this.fd, chunk, 0, chunk.length, at)
      this.chunks.set(at, chunk)
      if (this.chunks.size > MAX_CHUNKS) this.chunks.delete(this.chunks.keys().next().value!)
    }
    return chunk.subarray(offset - at, offset - at + length)
  }

  close(): void {
    fs.closeSync(this.fd)
  }
}

function varint(d: Buffer, at: { p: number }): number {
  let n = 0
  let shift = 0
  let byte
  do {
    byte = d[at.p++]!
    n += (byte & 0x7f) * 2 ** shift
    shift += 7
  } while (byte & 0x80)
  return n
}

/** Applies a git delta (copy and insert instructions) to its base. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  const at = { p: 0 }
  const baseSize = varint(delta, at)
  if (baseSize !== base.length) throw new Error('delta base size mismatch')
  const size = varint(delta, at)
  const out = Buffer.allocUnsafe(size)
  let o = 0
  while (at.p < delta.length) {
    const op = delta[at.p++]!
    if (op & 0x80) {
      let off = 0
      let len = 0
      for (let b = 0; b < 4; b++) if (op & (1 << b)) off += delta[at.p++]! * 2 ** (8 * b)
      for (let b = 0; b < 3; b++) if (op & (0x10 << b)) len += delta[at.p++]! * 2 ** (8 * b)
      if (len === 0) len = 0x10000
      base.copy(out, o, off, off + len)
      o += len
    } else if (op > 0) {
      delta.copy(out, o, at.p, at.p + op)
      o += op
      at.p += op
    } else throw new Error('invalid delta instruction')
  }
  if (o !== size) throw new Error('delta result size mismatch')
  return out
}
