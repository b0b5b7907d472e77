import { createHash } from 'node:crypto'

export interface PackIndexEntry {
  /** Object id, 40 hex digits. */
  readonly oid: string
  /** Where the entry starts in the pack; may be ≥ 2^31 (the large-offset table). */
  readonly offset: number
  /** CRC32 of the entry's packed bytes, header included. */
  readonly crc: number
}

const IDX_MAGIC = Buffer.from([0xff, 0x74, 0x4f, 0x63, 0, 0, 0, 2])
/** Offsets at or above this go to the 8-byte table; the 4-byte slot holds the MSB flag and the table position. */
const LARGE = 0x80000000

/**
 * A version-2 pack index, as `git index-pack` writes it: magic, fan-out,
 * sorted names, CRC32s, 4-byte offsets, the 8-byte offsets of entries at or
 * beyond 2 GiB (in name order), the pack's checksum, its own checksum.
 */
export function writePackIndex(entries: readonly PackIndexEntry[], packTrailer: Buffer): Buffer {
  if (packTrailer.length !== 20) throw new Error('a pack trailer is 20 bytes')
  const sorted = [...entries].sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0))
  const n = sorted.length
  const fanout = Buffer.alloc(256 * 4)
  const names = Buffer.alloc(n * 20)
  const crcs = Buffer.alloc(n * 4)
  const offsets = Buffer.alloc(n * 4)
  const large: number[] = []
  const counts = new Uint32Array(256)
  sorted.forEach((e, i) => {
    if (names.write(e.oid, i * 20, 20, 'hex') !== 20 || e.oid.length !== 40) throw new Error(`not an object id: ${e.oid}`)
    counts[names[i * 20]!]!++
    crcs.writeUInt32BE(e.crc >>> 0, i * 4)
    if (e.offset < LARGE) offsets.writeUInt32BE(e.offset, i * 4)
    else {
      offsets.writeUInt32BE((LARGE | large.length) >>> 0, i * 4)
      large.push(e.offset)
    }
  })
  for (let b = 0, total = 0; b < 256; b++) {
    total += counts[b]!
    fanout.writeUInt32BE(total, b * 4)
  }
  const largeBuf = Buffer.alloc(large.length * 8)
  large.forEach((o, i) => largeBuf.writeBigUInt64BE(BigInt(o), i * 8))
  const body = Buffer.concat([IDX_MAGIC, fanout, names, crcs, offsets, largeBuf, packTrailer])
  return Buffer.concat([body, createHash('sha1').update(body).digest()])
}
