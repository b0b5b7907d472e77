import fsp from 'node:fs/promises'
import { GitRemoteError } from '../core/errors.js'
import { FLUSH } from './pkt-line.js'
import type { PktLineReader } from './pkt-line-reader.js'

/** Bytes gathered before one write: side-band lines are at most 64 KiB, a write per line would be many small syscalls. */
const WRITE_BYTES = 1024 * 1024

export interface PackSinkOptions {
  /** The pack comes in side-band-64k lines (band 1 data, 2 progress, 3 error), else raw after the last pkt-line. */
  readonly sideBand: boolean
  /** Names the remote in errors (a redacted URL). */
  readonly where: string
  /** Our credentials, as a remote could echo them in an error: never repeated. */
  readonly secrets?: readonly string[]
}

function remoteError(line: Buffer, opts: PackSinkOptions): GitRemoteError {
  let text = line
    .subarray(1)
    .toString('utf8')
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim()
    .slice(0, 200)
  for (const s of opts.secrets ?? []) if (s.length >= 4) text = text.split(s).join('[redacted]')
  return new GitRemoteError(`fetch from ${opts.where}: remote error: ${text}`, { reason: 'remote-error', remoteMessage: text })
}

/**
 * Copies the pack that follows the negotiation lines into `tmpFile` as it
 * arrives, each write awaited before more is read (back-pressure: the socket
 * is not drained faster than the disk takes it). Stops at the flush that ends
 * a side-band stream, or at the end of the body. Returns the bytes written;
 * with 0 (no pack) or on any error, `tmpFile` is removed.
 */
export async function receivePackData(reader: PktLineReader, tmpFile: string, opts: PackSinkOptions): Promise<number> {
  const file = await fsp.open(tmpFile, 'w')
  let written = 0
  let held: Buffer[] = []
  let heldBytes = 0
  const drain = async () => {
    if (heldBytes === 0) return
    // writev: the lines go to disk as they are, not copied once more into one buffer.
    const bufs = held
    const n = heldBytes
    held = []
    heldBytes = 0
    let done = (await file.writev(bufs)).bytesWritten
    // A short write (rare, a full disk's last bytes): the rest follows, or the error does.
    if (done < n) {
      const all = Buffer.concat(bufs, n)
      while (done < n) done += (await file.write(all, done, n - done)).bytesWritten
    }
    written += n
  }
  const take = async (b: Buffer) => {
    held.push(b)
    heldBytes += b.length
    if (heldBytes >= WRITE_BYTES) await drain()
  }
  try {
    if (opts.sideBand) {
      for (;;) {
        const line = await reader.next()
        if (line === null || line === FLUSH) break
        if (!Buffer.isBuffer(line)) throw new GitRemoteError(`fetch from ${opts.where}: malformed response (unexpected delimiter in the pack)`, { reason: 'malformed' })
        const band = line[0]
        if (band === 1) await take(line.subarray(1))
        else if (band === 3) throw remoteError(line, opts)
        else if (band !== 2) throw new GitRemoteError(`fetch from ${opts.where}: malformed response (side-band ${String(band)})`, { reason: 'malformed' })
      }
    } else {
      for await (const chunk of reader.rest()) await take(chunk)
    }
    await drain()
    await file.close()
  } catch (e) {
    await file.close().catch(() => undefined)
    await fsp.rm(tmpFile, { force: true })
    throw e
  }
  if (written === 0) await fsp.rm(tmpFile, { force: true })
  return written
}
