import { createHash, type Hash } from 'node:crypto'
import fs from 'node:fs'

/** Bytes read from disk at a time: few syscalls, a bounded buffer. */
const READ_BYTES = 1024 * 1024

/**
 * A forward-only window on a pack file: bytes are read once, in order, and
 * fed to SHA-1 as they arrive (up to `hashEnd`, the trailer excluded), so
 * the checksum costs no second pass. Only what `view` asked for, plus one
 * read's worth, is held; an entry larger than that grows the window for as
 * long as it is needed.
 */
export class PackWindow {
  private buf: Buffer = Buffer.alloc(0)
  /** File position of buf[0]. */
  private start = 0
  /** Valid bytes in buf. */
  private len = 0
  readonly hash: Hash = createHash('sha1')

  constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly hashEnd: number,
  ) {}

  /**
   * Up to `n` bytes at `pos` (fewer at the end of the file). `pos` never
   * goes back before the previous view's start: what lies before is dropped.
   */
  view(pos: number, n: number): Buffer {
    // Every byte passes through the checksum once: no going back, no skipping ahead.
    if (pos < this.start || pos > this.start + this.len) throw new Error('pack window moved out of order')
    const want = Math.min(n, this.size - pos)
    if (pos + want > this.start + this.len) this.fill(pos, want)
    return this.buf.subarray(pos - this.start, pos - this.start + want)
  }

  private fill(pos: number, want: number): void {
    // Bytes already read past `pos` were hashed: they are kept, never read again.
    const keep = this.start + this.len - pos
    const capacity = Math.max(want, READ_BYTES, keep)
    if (this.buf.length < capacity || this.buf.length > 4 * capacity) {
      // Grown for a large entry, the window shrinks again after it.
      const next = Buffer.allocUnsafe(capacity)
      this.buf.copy(next, 0, pos - this.start, pos - this.start + keep)
      this.buf = next
    } else if (keep > 0) this.buf.copy(this.buf, 0, pos - this.start, pos - this.start + keep)
    this.start = pos
    this.len = keep
    while (this.len < want) {
      const at = this.start + this.len
      const got = fs.readSync(this.fd, this.buf, this.len, Math.min(this.buf.length - this.len, this.size - at), at)
      if (got === 0) throw new Error('pack file ended early')
      if (at < this.hashEnd) this.hash.update(this.buf.subarray(this.len, this.len + Math.min(got, this.hashEnd - at)))
      this.len += got
    }
  }
}
