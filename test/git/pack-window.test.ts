import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { PackWindow } from '../../src/git/pack-window.js'
import { tmpDir } from '../helpers/tmp.js'

/** The indexer's window: views return the file's bytes, whatever their sizes; the checksum covers each byte once. */
t.test('views of mixed sizes read the file as it is and hash it once', async (t) => {
  const file = path.join(tmpDir(t), 'data')
  const data = randomBytes(9 * 1024 * 1024 + 333)
  fs.writeFileSync(file, data)
  const fd = fs.openSync(file, 'r')
  t.teardown(() => fs.closeSync(fd))
  const w = new PackWindow(fd, data.length, data.length - 20)
  // Small steps, then a view far larger than one read, then small steps after it (the grown window shrinks).
  const steps = [32, 100, 5, 3 * 1024 * 1024 + 7, 32, 70_000, 6 * 1024 * 1024, 1, 32]
  let pos = 0
  let same = 0
  for (const [i, n] of steps.entries()) {
    const v = w.view(pos, n)
    if (v.equals(data.subarray(pos, pos + n))) same++
    // Each step consumes part of what it viewed, as an entry's header and data do.
    pos += i % 2 === 0 ? Math.ceil(v.length / 2) : v.length
  }
  t.equal(same, steps.length)
  t.ok(w.view(pos, data.length).equals(data.subarray(pos)), 'the rest, to the end')
  t.equal(w.hash.digest('hex'), createHash('sha1').update(data.subarray(0, data.length - 20)).digest('hex'))
  t.throws(() => w.view(0, 1), 'no going back before the window')
})

t.test('a view never skips bytes', async (t) => {
  const file = path.join(tmpDir(t), 'data')
  const size = 3 * 1024 * 1024
  fs.writeFileSync(file, randomBytes(size))
  const fd = fs.openSync(file, 'r')
  t.teardown(() => fs.closeSync(fd))
  const w = new PackWindow(fd, size, size - 20)
  w.view(0, 10)
  // The first read took one block (1 MiB); beyond it lie bytes never hashed.
  t.throws(() => w.view(2 * 1024 * 1024, 1))
})
