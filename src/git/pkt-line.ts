/** git's pkt-line framing: four hex digits of length (including themselves), then the payload; `0000` flushes. */
export const FLUSH = Symbol('flush')
export type PktLine = Buffer | typeof FLUSH

export function encodePktLine(payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload
  const len = body.length + 4
  if (len > 65520) throw new Error('pkt-line too long')
  return Buffer.concat([Buffer.from(len.toString(16).padStart(4, '0'), 'ascii'), body])
}

export const FLUSH_PKT = Buffer.from('0000', 'ascii')

/** Splits a buffer into pkt-lines; stops at the first malformed length. */
export function decodePktLines(buf: Buffer): PktLine[] {
  const out: PktLine[] = []
  let i = 0
  while (i + 4 <= buf.length) {
    const hex = buf.toString('ascii', i, i + 4)
    if (!/^[0-9a-f]{4}$/i.test(hex)) throw new Error('malformed pkt-line')
    const len = parseInt(hex, 16)
    if (len === 0 || len === 1 || len === 2) {
      out.push(FLUSH)
      i += 4
      continue
    }
    if (len < 4 || i + len > buf.length) throw new Error('truncated pkt-line')
    out.push(buf.subarray(i + 4, i + len))
    i += len
  }
  return out
}
