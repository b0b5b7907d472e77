import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { receivePackData } from '../../src/git/pack-sink.js'
import { encodePktLine, FLUSH_PKT } from '../../src/git/pkt-line.js'
import { PktLineReader } from '../../src/git/pkt-line-reader.js'
import { tmpDir } from '../helpers/tmp.js'

/** A body delivered in awkward pieces: lines split across chunks, as a socket hands them over. */
async function* chunked(body: Buffer, size = 997): AsyncGenerator<Buffer> {
  for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size)
}

function band(n: number, data: Buffer | string): Buffer {
  return encodePktLine(Buffer.concat([Buffer.from([n]), Buffer.from(data)]))
}

/** A reader already past the acknowledgement, as the upload-pack code hands it over. */
async function readerAt(body: Buffer): Promise<PktLineReader> {
  const reader = new PktLineReader(chunked(Buffer.concat([encodePktLine('NAK\n'), body])), 'test')
  if ((await reader.next())?.toString() !== 'NAK\n') throw new Error('no NAK')
  return reader
}

t.test('side-band: band 1 goes to the file, progress is dropped, the flush ends it', async (t) => {
  const dir = tmpDir(t)
  const pack = randomBytes(3 * 1024 * 1024 + 17)
  const lines: Buffer[] = [band(2, 'Counting objects\r')]
  for (let i = 0; i < pack.length; i += 65515) lines.push(band(1, pack.subarray(i, i + 65515)), band(2, `${i}\r`))
  const reader = await readerAt(Buffer.concat([...lines, FLUSH_PKT]))
  const file = path.join(dir, 'tmp_pack')
  t.equal(await receivePackData(reader, file, { sideBand: true, where: 'remote' }), pack.length)
  t.ok(fs.readFileSync(file).equals(pack))
})

t.test('no side-band: the bytes after the last line, as they are', async (t) => {
  const dir = tmpDir(t)
  const pack = randomBytes(2 * 1024 * 1024 + 5)
  const file = path.join(dir, 'tmp_pack')
  t.equal(await receivePackData(await readerAt(pack), file, { sideBand: false, where: 'remote' }), pack.length)
  t.ok(fs.readFileSync(file).equals(pack))
})

t.test('no pack: 0 and no file', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'tmp_pack')
  t.equal(await receivePackData(await readerAt(FLUSH_PKT), file, { sideBand: true, where: 'remote' }), 0)
  t.notOk(fs.existsSync(file))
  t.equal(await receivePackData(await readerAt(Buffer.alloc(0)), file, { sideBand: false, where: 'remote' }), 0)
  t.notOk(fs.existsSync(file))
})

t.test("band 3 is the remote's error, without our credentials; the file is removed", async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'tmp_pack')
  const reader = await readerAt(Buffer.concat([band(1, randomBytes(1000)), band(3, 'upload-pack: token s3cr3t-t0ken is not allowed\n'), FLUSH_PKT]))
  const err = await receivePackData(reader, file, { sideBand: true, where: 'remote', secrets: ['s3cr3t-t0ken'] }).catch((e: Error & { code?: string; data?: Record<string, unknown> }) => e)
  t.match(err, { code: 'GIT_REMOTE', data: { reason: 'remote-error' } })
  t.notMatch(JSON.stringify({ m: (err as Error).message, d: (err as { data?: unknown }).data }), /s3cr3t-t0ken/)
  t.match(String((err as { data: { remoteMessage: string } }).data.remoteMessage), /not allowed/)
  t.notOk(fs.existsSync(file))
})

t.test('a body cut inside a line is malformed; the file is removed', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'tmp_pack')
  const whole = band(1, randomBytes(5000))
  const reader = await readerAt(whole.subarray(0, 3000))
  await t.rejects(receivePackData(reader, file, { sideBand: true, where: 'remote' }), { code: 'GIT_REMOTE', data: { reason: 'malformed' } })
  t.notOk(fs.existsSync(file))
  const badBand = await readerAt(Buffer.concat([band(7, 'x'), FLUSH_PKT]))
  await t.rejects(receivePackData(badBand, file, { sideBand: true, where: 'remote' }), { code: 'GIT_REMOTE', data: { reason: 'malformed' } }, 'an unknown band')
})
