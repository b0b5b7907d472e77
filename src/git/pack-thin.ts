import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { crc32, deflateSync } from 'node:zlib'

/** A whole object's entry header: type and size, 4 then 7 bits a byte. */
export function encodeEntryHeader(typeCode: number, size: number): Buffer {
  const bytes: number[] = []
  let byte = (typeCode << 4) | (size & 0x0f)
  let rest = Math.floor(size / 16)
  while (rest > 0) {
    bytes.push(byte | 0x80)
    byte = rest & 0x7f
    rest = Math.floor(rest / 128)
  }
  bytes.push(byte)
  return Buffer.from(bytes)
}

/**
 * Writes `content` as a whole object at `at` in the pack open on `fd` (a thin
 * pack's outside base, as `git index-pack --fix-thin` appends it). Returns
 * the entry's length and CRC32, for the index.
 */
export function appendWholeObject(fd: number, at: number, typeCode: number, content: Buffer): { length: number; crc: number } {
  const entry = Buffer.concat([encodeEntryHeader(typeCode, content.length), deflateSync(content)])
  fs.writeSync(fd, entry, 0, entry.length, at)
  return { length: entry.length, crc: crc32(entry) }
}

/**
 * After appending: the header's object count and the SHA-1 trailer are
 * rewritten, the checksum read back from disk in bounded chunks (the pack is
 * never held whole). Returns the new trailer.
 */
export function rewriteHeaderAndTrailer(fd: number, bodyEnd: number, count: number): Buffer {
  const n = Buffer.alloc(4)
  n.writeUInt32BE(count)
  fs.writeSync(fd, n, 0, 4, 8)
  const hash = createHash('sha1')
  const chunk = Buffer.allocUnsafe(1024 * 1024)
  for (let at = 0; at < bodyEnd; ) {
    const got = fs.readSync(fd, chunk, 0, Math.min(chunk.length, bodyEnd - at), at)
    if (got === 0) throw new Error('pack file ended early')
    hash.update(chunk.subarray(0, got))
    at += got
  }
  const trailer = hash.digest()
  fs.writeSync(fd, trailer, 0, 20, bodyEnd)
  fs.ftruncateSync(fd, bodyEnd + 20)
  return trailer
}
