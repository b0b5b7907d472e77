import { execFileSync } from 'node:child_process'
import { createHash, randomBytes, randomInt } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { crc32, deflateSync } from 'node:zlib'
import t from 'tap'
import { ObjectStore } from '../../src/git/object-store.js'
import { writePackIndex } from '../../src/git/pack-index-writer.js'
import { PackReader } from '../../src/git/pack-reader.js'
import { encodeEntryHeader } from '../../src/git/pack-thin.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * The pack reader against packs the real git wrote, with deep delta chains
 * (many similar versions of a file): every object reads back byte for byte as
 * `git cat-file` prints it.
 */
/** Every object of `oids`, read by the store, is the bytes and type one `git cat-file --batch` prints (header line, content, newline). */
async function sameAsGit(t: Tap.Test, store: ObjectStore, work: string, oids: readonly string[]): Promise<void> {
  const batch = execFileSync('git', ['cat-file', '--batch'], { cwd: work, input: `${oids.join('\n')}\n`, maxBuffer: 64 * 1024 * 1024 })
  let at = 0
  let same = 0
  for (const oid of oids) {
    const nl = batch.indexOf(0x0a, at)
    const [, type, size] = batch.toString('latin1', at, nl).split(' ')
    const expected = batch.subarray(nl + 1, nl + 1 + Number(size))
    at = nl + 1 + Number(size) + 1
    const got = await store.read(oid)
    if (got.type === type && got.content.equals(expected)) same++
    else t.fail(`${oid} differs`)
  }
  t.equal(same, oids.length, 'every object reads back byte for byte')
}

t.test('reads every object of a git-made, deltified pack as git does', async (t) => {
  const dir = tmpDir(t)
  const work = path.join(dir, 'w')
  fs.mkdirSync(work)
  git(work, 'init', '-q', '-b', 'main')
  const base = Array.from({ length: 200 }, (_, i) => `line ${i}: ${'x'.repeat(i % 17)}`).join('\n')
  for (let v = 0; v < 60; v++) {
    fs.writeFileSync(path.join(work, 'big.txt'), `${base}\nversion ${v}\n${'y'.repeat(v)}\n`)
    fs.mkdirSync(path.join(work, `d${v % 5}`), { recursive: true })
    fs.writeFileSync(path.join(work, `d${v % 5}`, 'f.yaml'), `v: ${v}\n`)
    git(work, 'add', '-A')
    git(work, 'commit', '-q', '-m', `v${v}`)
  }
  // One thread, a wide window: git's delta search is then the same every run (with threads it splits the window and may find only chains of 1).
  git(work, '-c', 'pack.threads=1', 'repack', '-a', '-d', '-f', '-q', '--window=250', '--depth=50')
  git(work, 'prune-packed')
  const gitdir = path.join(work, '.git')
  t.equal(fs.readdirSync(path.join(gitdir, 'objects', 'pack')).filter((n) => n.endsWith('.pack')).length, 1)
  const oids = git(work, 'rev-list', '--objects', '--all').trim().split('\n').map((l) => l.split(' ')[0]!)
  const deltas = git(work, 'verify-pack', '-v', ...fs.readdirSync(path.join(gitdir, 'objects', 'pack')).filter((n) => n.endsWith('.idx')).map((n) => path.join(gitdir, 'objects', 'pack', n)))
  t.match(deltas, /chain length = (?:[2-9]|\d\d+):/, 'the pack has delta chains')
  const store = new ObjectStore(gitdir)
  await sameAsGit(t, store, work, oids)
  const tree = await store.readTree(git(work, 'rev-parse', 'HEAD^{tree}').trim())
  t.same(tree.map((e) => e.path), ['big.txt', 'd0', 'd1', 'd2', 'd3', 'd4'])
  await t.rejects(store.read('0'.repeat(40)), { code: 'NotFoundError' })
})

t.test('a pack of many megabytes read in a shuffled order: objects across chunk boundaries, large ones read alone', async (t) => {
  const dir = tmpDir(t)
  const work = path.join(dir, 'w')
  fs.mkdirSync(work)
  git(work, 'init', '-q', '-b', 'main')
  // Incompressible bytes, so the pack is as large as its content: 3,000 small files and a few larger than a chunk.
  const bytes = (n: number) => randomBytes(n)
  for (let i = 0; i < 3000; i++) fs.writeFileSync(path.join(work, `f${i}.bin`), bytes(300 + (i % 700)))
  for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(work, `big${i}.bin`), bytes(20_000 + i * 50_000))
  git(work, 'add', '-A')
  git(work, 'commit', '-q', '-m', 'many')
  git(work, 'repack', '-a', '-d', '-q')
  git(work, 'prune-packed')
  const gitdir = path.join(work, '.git')
  const packs = fs.readdirSync(path.join(gitdir, 'objects', 'pack')).filter((n) => n.endsWith('.pack'))
  t.equal(packs.length, 1)
  t.ok(fs.statSync(path.join(gitdir, 'objects', 'pack', packs[0]!)).size > 2 * 1024 * 1024, 'larger than the 1 MiB of chunks the reader keeps')
  const oids = git(work, 'rev-list', '--objects', '--all').trim().split('\n').map((l) => l.split(' ')[0]!)
  for (let i = oids.length - 1; i > 0; i--) {
    const j = randomInt(i + 1)
    ;[oids[i], oids[j]] = [oids[j]!, oids[i]!]
  }
  await sameAsGit(t, new ObjectStore(gitdir), work, oids)
})

t.test('a repo made by the tests helper, packed by clone', async (t) => {
  const bare = makeBareRepo(tmpDir(t), { 'a/b.txt': 'hello\n' })
  const store = new ObjectStore(bare)
  const head = git(bare, 'rev-parse', 'main').trim()
  const commit = await store.readCommit(head)
  t.equal(commit.message, 'seed\n')
  t.ok(await store.has(head))
  t.notOk(await store.has('1'.repeat(40)))
})

/** A git delta: base size, result size, copy the whole base, insert `tail`. */
function delta(base: Buffer, tail: Buffer): Buffer {
  const varint = (n: number) => {
    const out: number[] = []
    do {
      out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0))
      n = Math.floor(n / 128)
    } while (n > 0)
    return out
  }
  return Buffer.from([...varint(base.length), ...varint(base.length + tail.length), 0xb0, base.length & 0xff, base.length >> 8, tail.length, ...tail])
}

function blobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex')
}

t.test('offsets beyond 2 GiB and 4 GiB: the large-offset table, written and read back from a sparse pack', async (t) => {
  const dir = tmpDir(t)
  const a = Buffer.from('the base object, stored whole\n'.repeat(20))
  const b = Buffer.concat([a, Buffer.from('b\n')])
  const c = Buffer.concat([b, Buffer.from('c\n')])
  const entryA = Buffer.concat([encodeEntryHeader(3, a.length), deflateSync(a)])
  const dB = delta(a, Buffer.from('b\n'))
  const dC = delta(b, Buffer.from('c\n'))
  const offA = 2 ** 32 - entryA.length
  const offB = 2 ** 32
  // B is an ofs-delta reaching back across the 4 GiB line, C a ref-delta on B.
  const entryB = Buffer.concat([encodeEntryHeader(6, dB.length), Buffer.from([offB - offA]), deflateSync(dB)])
  const entryC = Buffer.concat([encodeEntryHeader(7, dC.length), Buffer.from(blobId(b), 'hex'), deflateSync(dC)])
  const offC = offB + entryB.length
  t.ok(offB - offA < 128, 'the back offset fits the one byte written for it')
  const packPath = path.join(dir, 'pack-sparse.pack')
  const fd = fs.openSync(packPath, 'w')
  const header = Buffer.from('PACK\0\0\0\x02\0\0\0\x03', 'latin1')
  fs.writeSync(fd, header, 0, 12, 0)
  // Positioned writes leave a hole: the file is 4 GiB long, a few KiB on disk.
  for (const [e, at] of [[entryA, offA], [entryB, offB], [entryC, offC]] as const) fs.writeSync(fd, e, 0, e.length, at)
  const trailer = Buffer.alloc(20, 7)
  fs.writeSync(fd, trailer, 0, 20, offC + entryC.length)
  fs.closeSync(fd)
  const entries = [
    { oid: blobId(a), offset: offA, crc: crc32(entryA) },
    { oid: blobId(b), offset: offB, crc: crc32(entryB) },
    { oid: blobId(c), offset: offC, crc: crc32(entryC) },
  ]
  fs.writeFileSync(packPath.replace(/\.pack$/, '.idx'), writePackIndex(entries, trailer))
  const reader = new PackReader(packPath)
  t.teardown(() => reader.close())
  const none = () => {
    throw new Error('no outside objects')
  }
  t.same(reader.read(blobId(a), none), { type: 'blob', content: a })
  t.same(reader.read(blobId(b), none), { type: 'blob', content: b }, 'an ofs-delta at 4 GiB on a base below it')
  t.same(reader.read(blobId(c), none), { type: 'blob', content: c }, 'a ref-delta beyond 4 GiB')
})

t.test('the index layout of large offsets, checked field by field', async (t) => {
  const offsets = [12, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 2 ** 40 + 3]
  const entries = offsets.map((offset, i) => ({ oid: `${(0xf0 - i * 0x30).toString(16).padStart(2, '0')}${'ab'.repeat(19)}`, offset, crc: 0x01020304 + i }))
  const trailer = Buffer.alloc(20, 9)
  const idx = writePackIndex(entries, trailer)
  const n = entries.length
  t.equal(idx.length, 8 + 1024 + n * 28 + 3 * 8 + 40)
  t.equal(idx.readUInt32BE(0), 0xff744f63)
  t.equal(idx.readUInt32BE(4), 2)
  t.equal(idx.readUInt32BE(8 + 255 * 4), n, 'the fan-out ends at the object count')
  const names = 8 + 1024
  const sorted = [...entries].sort((x, y) => (x.oid < y.oid ? -1 : 1))
  sorted.forEach((e, i) => t.equal(idx.toString('hex', names + i * 20, names + i * 20 + 20), e.oid))
  const crcs = names + n * 20
  sorted.forEach((e, i) => t.equal(idx.readUInt32BE(crcs + i * 4), e.crc))
  const small = crcs + n * 4
  const large = small + n * 4
  let next = 0
  sorted.forEach((e, i) => {
    const slot = idx.readUInt32BE(small + i * 4)
    if (e.offset < 2 ** 31) t.equal(slot, e.offset, 'below 2 GiB: the offset itself')
    else {
      t.equal(slot, (0x80000000 | next) >>> 0, 'from 2 GiB: the flag and the next large slot, in name order')
      t.equal(Number(idx.readBigUInt64BE(large + next * 8)), e.offset)
      next++
    }
  })
  t.equal(next, 3)
  t.ok(idx.subarray(large + 3 * 8, large + 3 * 8 + 20).equals(trailer))
  t.equal(idx.toString('hex', idx.length - 20), createHash('sha1').update(idx.subarray(0, idx.length - 20)).digest('hex'))
})
