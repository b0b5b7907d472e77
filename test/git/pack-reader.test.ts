import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ObjectStore } from '../../src/git/object-store.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * The pack reader against packs the real git wrote, with deep delta chains
 * (many similar versions of a file): every object reads back byte for byte as
 * `git cat-file` prints it.
 */
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
  // One `git cat-file --batch` for all objects: header line, content, newline.
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
  const tree = await store.readTree(git(work, 'rev-parse', 'HEAD^{tree}').trim())
  t.same(tree.map((e) => e.path), ['big.txt', 'd0', 'd1', 'd2', 'd3', 'd4'])
  await t.rejects(store.read('0'.repeat(40)), { code: 'NotFoundError' })
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
