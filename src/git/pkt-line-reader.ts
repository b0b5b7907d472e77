import { GitRemoteError } from '../core/errors.js'
import { FLUSH } from './pkt-line.js'

/** Protocol v2's section separator (`0001`) and end of a response (`0002`). */
export const DELIM = Symbol('delim')
export const RESPONSE_END = Symbol('response-end')
export type StreamPktLine = Buffer | typeof FLUSH | typeof DELIM | typeof RESPONSE_END

/**
 * Reads pkt-lines one at a time from a streamed body (an HTTP response),
 * holding at most one chunk plus one line in memory, so a pack that follows
 * the negotiation lines can be handed on without buffering it whole.
 */
export class PktLineReader {
  private buf: Buffer = Buffer.alloc(0)
  private readonly it: AsyncIterator<Buffer | Uint8Array>
  private ended = false

  constructor(
    body: AsyncIterable<Buffer | Uint8Array>,
    private readonly where: string,
  ) {
    this.it = body[Symbol.asyncIterator]()
  }

  /** Makes at least `n` bytes available; false when the body ended first. */
  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n) {
      if (this.ended) return false
      const r = await this.it.next()
      if (r.done) {
        this.ended = true
        return false
      }
      const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value)
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    }
    return true
  }

  private malformed(what: string): GitRemoteError {
    return new GitRemoteError(`${this.where}: malformed response (${what})`, { reason: 'malformed' })
  }

  /** The next pkt-line; null at a clean end of the body (never inside a line). */
  async next(): Promise<StreamPktLine | null> {
    if (!(await this.fill(4))) {
      if (this.buf.length === 0) return null
      throw this.malformed('truncated length')
    }
    const hex = this.buf.toString('ascii', 0, 4)
    if (!/^[0-9a-f]{4}$/i.test(hex)) throw this.malformed('bad length')
    const len = parseInt(hex, 16)
    if (len < 4) {
      this.buf = this.buf.subarray(4)
      return len === 0 ? FLUSH : len === 1 ? DELIM : len === 2 ? RESPONSE_END : (() => { throw this.malformed('bad length') })()
    }
    if (!(await this.fill(len))) throw this.malformed('truncated line')
    // A copy: the line outlives the chunk it came in, which is then released.
    const line = Buffer.from(this.buf.subarray(4, len))
    this.buf = this.buf.subarray(len)
    return line
  }

  /** The bytes after the last line read, then the rest of the body: for a pack sent without side-band. */
  async *rest(): AsyncGenerator<Buffer> {
    if (this.buf.length > 0) {
      const b = this.buf
      this.buf = Buffer.alloc(0)
      yield b
    }
    while (!this.ended) {
      const r = await this.it.next()
      if (r.done) {
        this.ended = true
        return
      }
      yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value)
    }
  }
}
