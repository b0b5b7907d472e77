import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { deflateSync, inflateSync } from 'node:zlib'
import t from 'tap'
import { ObjectStore } from '../../src/git/object-store.js'
import { indexPackFile } from '../../src/git/pack-indexer.js'
import { PackReader, readEntryHeader } from '../../src/git/pack-reader.js'
import { encodeEntryHeader } from '../../src/git/pack-thin.js'
import { git } from '../helpers/git-cli.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * The streaming indexer against packs the real git made: ref-deltas,
 * ofs-deltas and a thin pack, checked with git's own index-pack and
 * verify-pack, not with our reader alone.
 */

/** A repository with many similar versions of a file: packs of it are full of deltas. */
function historyRepo(dir: string): string {
  const work = path.join(dir, 'w')
  fs.mkdirSync(work)
  git(work, 'init', '-q', '-b', 'main')
  const base = Array.from({ length: 300 }, (_, i) => `line ${i}: ${'x'.repeat(i % 23)}`).join('\n')
  for (let v = 0; v < 20; v++) {
    fs.writeFileSync(path.join(work, 'big.txt'), `${base}\nversion ${v}\n${'y'.repeat(v)}\n`)
    fs.writeFileSync(path.join(work, `n${v % 3}.txt`), `${v}\n`)
    git(work, 'add', '-A')
    git(work, 'commit', '-q', '-m', `v${v}`)
  }
  return work
}

function packObjects(work: string, args: string[], input: string): Buffer {
  return execFileSync('git', ['-c', 'pack.threads=1', 'pack-objects', '--stdout', ...args], { cwd: work, input, maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'ignore'] })
}

/** The packed kind of every entry (6 ofs-delta, 7 ref-delta): proves what a fixture holds. */
function kinds(pack: Buffer): number[] {
  const out: number[] = []
  let p = 12
  for (let i = 0; i < pack.readUInt32BE(8); i++) {
    const h = readEntryHeader(pack, p, p)
    out.push(h.kind)
    const r = inflateSync(pack.subarray(h.dataStart), { info: true }) as unknown as { engine: { bytesWritten: number } }
    p = h.dataStart + r.engine.bytesWritten
  }
  return out
}

function verifyPack(idxPath: string): string {
  return execFileSync('git', ['verify-pack', '-v', idxPath], { encoding: 'utf8' })
}

for (const [name, args, kind] of [
  ['ref-deltas', [], 7],
  ['ofs-deltas', ['--delta-base-offset'], 6],
] as const) {
  t.test(`a pack with ${name} indexes to the .idx git index-pack writes`, async (t) => {
    const dir = tmpDir(t)
    const work = historyRepo(dir)
    const pack = packObjects(work, [...args, '--revs'], 'main\n')
    t.ok(kinds(pack).includes(kind), `the pack has ${name}`)
    t.notOk(kinds(pack).includes(kind === 7 ? 6 : 7), 'and only those')
    const theirs = path.join(dir, 'theirs.pack')
    fs.writeFileSync(theirs, pack)
    git(dir, 'index-pack', theirs)
    const tmp = path.join(dir, 'incoming')
    fs.writeFileSync(tmp, pack)
    const packDir = path.join(dir, 'packs')
    const got = await indexPackFile(tmp, packDir)
    t.equal(path.basename(got.packPath), `pack-${pack.subarray(pack.length - 20).toString('hex')}.pack`)
    t.ok(fs.readFileSync(got.idxPath).equals(fs.readFileSync(theirs.replace(/\.pack$/, '.idx'))), 'the same .idx, byte for byte')
    t.ok(fs.readFileSync(got.packPath).equals(pack), 'the pack itself is untouched')
    t.notOk(fs.existsSync(tmp), 'the temporary file is gone')
    const all = git(work, 'rev-list', '--objects', 'main').trim().split('\n').map((l) => l.split(' ')[0]!).sort()
    t.same(got.oids, all)
    t.same(fs.readdirSync(packDir).sort(), [path.basename(got.idxPath), path.basename(got.packPath)].sort())
  })
}

/** A thin pack of the last commit against its parent: its deltas name bases only the parent has. */
function thinFixture(t: Parameters<typeof tmpDir>[0]) {
  const dir = tmpDir(t)
  const work = historyRepo(dir)
  const pack = packObjects(work, ['--thin', '--revs'], 'main\n^main~1\n')
  return { dir, work, pack }
}

t.test('a thin pack is completed from the repository, as index-pack --fix-thin', async (t) => {
  const { dir, work, pack } = thinFixture(t)
  t.ok(kinds(pack).includes(7), 'the thin pack has ref-deltas')
  const tmp = path.join(dir, 'incoming')
  fs.writeFileSync(tmp, pack)
  const packDir = path.join(dir, 'packs')
  const store = new ObjectStore(path.join(work, '.git'))
  const asked: string[] = []
  const got = await indexPackFile(tmp, packDir, (oid) => {
    asked.push(oid)
    return store.read(oid)
  })
  t.ok(asked.length > 0, 'bases came from outside the pack')
  const fixed = fs.readFileSync(got.packPath)
  t.equal(fixed.readUInt32BE(8), pack.readUInt32BE(8) + asked.length, 'the header counts the appended bases')
  t.equal(path.basename(got.packPath), `pack-${fixed.subarray(fixed.length - 20).toString('hex')}.pack`, 'named for its new checksum')
  t.doesNotThrow(() => verifyPack(got.idxPath), 'git verify-pack accepts it')
  t.match(verifyPack(got.idxPath), new RegExp(`^non delta: \\d+ objects`, 'm'))
  for (const base of asked) t.ok(got.oids.includes(base), 'the base is in the index')
  // Self-contained: nothing is read from outside the pack.
  const reader = new PackReader(got.packPath)
  t.teardown(() => reader.close())
  let same = 0
  for (const oid of got.oids) {
    const o = reader.read(oid, () => {
      throw new Error('read outside the pack')
    })!
    const theirs = await store.read(oid)
    if (o.type === theirs.type && o.content.equals(theirs.content)) same++
  }
  t.equal(same, got.oids.length, 'every object reads back through PackReader as git has it')
})

t.test('a thin pack whose base the repository lacks is a clear error and leaves nothing behind', async (t) => {
  const { dir, pack } = thinFixture(t)
  const tmp = path.join(dir, 'incoming')
  const packDir = path.join(dir, 'packs')
  fs.mkdirSync(packDir)
  fs.writeFileSync(tmp, pack)
  await t.rejects(indexPackFile(tmp, packDir, () => null), { code: 'GIT_REMOTE', data: { reason: 'missing-base' } })
  t.same(fs.readdirSync(packDir), [])
  t.notOk(fs.existsSync(tmp))
  fs.writeFileSync(tmp, pack)
  await t.rejects(indexPackFile(tmp, packDir), { code: 'GIT_REMOTE', data: { reason: 'missing-base' } }, 'no resolver: the same')
  t.same(fs.readdirSync(packDir), [])
})

t.test('a damaged pack is refused and leaves nothing behind', async (t) => {
  const dir = tmpDir(t)
  const work = historyRepo(dir)
  const pack = packObjects(work, ['--revs'], 'main\n')
  const packDir = path.join(dir, 'packs')
  const tmp = path.join(dir, 'incoming')
  const cases: [string, Buffer][] = [
    ['a flipped byte', Buffer.concat([pack.subarray(0, 200), Buffer.from([pack[200]! ^ 0xff]), pack.subarray(201)])],
    ['truncated', pack.subarray(0, pack.length - 100)],
    ['not a pack', Buffer.from('<html>not a pack</html>'.repeat(4))],
    ['a count too large', Buffer.concat([pack.subarray(0, 8), Buffer.from([0, 0, 0xff, 0xff]), pack.subarray(12)])],
  ]
  for (const [what, bytes] of cases) {
    fs.writeFileSync(tmp, bytes)
    await t.rejects(indexPackFile(tmp, packDir), { code: 'GIT_REMOTE', data: { reason: 'bad-pack' } }, what)
    t.notOk(fs.existsSync(tmp), `${what}: the temporary file is gone`)
    t.same(fs.existsSync(packDir) ? fs.readdirSync(packDir) : [], [], `${what}: nothing in the pack folder`)
  }
})

/** A zlib stream of `content` that is much longer than the content: empty stored blocks first, as a legal but odd encoder may write. */
function paddedDeflate(content: Buffer, emptyBlocks: number): Buffer {
  const empty = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff])
  const last = Buffer.from([0x01, content.length & 0xff, content.length >> 8, ~content.length & 0xff, (~content.length >> 8) & 0xff])
  let a = 1
  let b = 0
  for (const byte of content) {
    a = (a + byte) % 65521
    b = (b + a) % 65521
  }
  const adler = Buffer.alloc(4)
  adler.writeUInt32BE(((b << 16) | a) >>> 0)
  return Buffer.concat([Buffer.from([0x78, 0x01]), ...Array.from({ length: emptyBlocks }, () => empty), last, content, adler])
}

t.test('an entry whose deflated data is far longer than its content still indexes as git does', async (t) => {
  const dir = tmpDir(t)
  const small = Buffer.from('tiny\n')
  const other = Buffer.from('x'.repeat(3000))
  const entries = [
    Buffer.concat([encodeEntryHeader(3, small.length), paddedDeflate(small, 400)]),
    Buffer.concat([encodeEntryHeader(3, other.length), deflateSync(other)]),
  ]
  const header = Buffer.from('PACK\0\0\0\x02\0\0\0\x02', 'latin1')
  const body = Buffer.concat([header, ...entries])
  const pack = Buffer.concat([body, createHash('sha1').update(body).digest()])
  const theirs = path.join(dir, 'theirs.pack')
  fs.writeFileSync(theirs, pack)
  git(dir, 'index-pack', theirs)
  const tmp = path.join(dir, 'incoming')
  fs.writeFileSync(tmp, pack)
  const got = await indexPackFile(tmp, path.join(dir, 'packs'))
  t.ok(fs.readFileSync(got.idxPath).equals(fs.readFileSync(theirs.replace(/\.pack$/, '.idx'))), 'the same .idx as git index-pack')
})
