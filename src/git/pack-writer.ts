import { createHash } from 'node:crypto'
import { constants, deflateSync } from 'node:zlib'
import type { ObjectType } from './object-format.js'

const TYPE_CODE: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 }

/** A version 2 packfile of whole (undeltified) objects: what a push of a few new objects needs. */
export function writePack(objects: readonly { type: ObjectType; content: Buffer }[]): Buffer {
  const header = Buffer.alloc(12)
  header.write('PACK', 0, 'ascii')
  header.writeUInt32BE(2, 4)
  header.writeUInt32BE(objects.length, 8)
  const parts: Buffer[] = [header]
  for (const o of objects) {
    let size = o.content.length
    const bytes: number[] = []
    let byte = (TYPE_CODE[o.type] << 4) | (size & 0x0f)
    size >>>= 4
    while (size > 0) {
      bytes.push(byte | 0x80)
      byte = size & 0x7f
      size >>>= 7
    }
    bytes.push(byte)
    // The fastest level: the pack crosses a network once and the server recompresses as it likes.
    parts.push(Buffer.from(bytes), deflateSync(o.content, { level: constants.Z_BEST_SPEED }))
  }
  const body = Buffer.concat(parts)
  return Buffer.concat([body, createHash('sha1').update(body).digest()])
}
