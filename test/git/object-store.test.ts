import { execFileSync } from 'node:child_process'
import t from 'tap'
import { ObjectStore } from '../../src/git/object-store.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { tmpDir } from '../helpers/tmp.js'

t.test('many objects flushed at once land whole, and git reads them', async (t) => {
  const bare = makeBareRepo(tmpDir(t), { 'a.txt': 'a\n' })
  const store = new ObjectStore(bare)
  const oids = Array.from({ length: 600 }, (_, i) => store.putBlob(Buffer.from(`blob ${i}\n`)))
  oids.push(store.putBlob(Buffer.from('blob 1\n')))
  t.throws(() => store.pack(['f'.repeat(40)]), 'only objects still in memory can be packed')
  const pack = store.pack(oids)
  t.equal(pack.subarray(0, 4).toString(), 'PACK')
  t.equal(pack.readUInt32BE(8), 600, 'a duplicate is packed once')
  await store.flush(oids)
  for (const i of [0, 299, 599]) t.equal(git(bare, 'cat-file', '-p', oids[i]!), `blob ${i}\n`)
  git(bare, 'fsck', '--strict')
  t.equal((await store.readBlob(oids[42]!)).toString(), 'blob 42\n', 'read back from disk')
})

t.test('a pack made here is one git accepts', async (t) => {
  const bare = makeBareRepo(tmpDir(t), { 'a.txt': 'a\n' })
  const store = new ObjectStore(bare)
  const blob = store.putBlob(Buffer.from('x'.repeat(100_000)))
  const tree = store.putTree([{ mode: '100644', path: 'big.txt', oid: blob, type: 'blob' }])
  const pack = store.pack([blob, tree])
  const out = execFileSync('git', ['index-pack', '--stdin', '--strict'], { cwd: bare, input: pack, encoding: 'utf8' })
  t.match(out, /^pack\t[0-9a-f]{40}\n$/)
  t.equal(git(bare, 'cat-file', '-s', blob).trim(), '100000')
  t.equal(git(bare, 'ls-tree', tree).trim(), `100644 blob ${blob}\tbig.txt`)
})

t.test('a tree put in any order reads back in git order, from memory as from disk', async (t) => {
  const bare = makeBareRepo(tmpDir(t), { 'a.txt': 'a\n' })
  const store = new ObjectStore(bare)
  const blob = store.putBlob(Buffer.from('x\n'))
  const sub = store.putTree([{ mode: '100644', path: 'k.yaml', oid: blob, type: 'blob' }])
  // 'prod' before 'dev', and a folder 'a' that sorts after the file 'a.b' ('a/' > 'a.b').
  const tree = store.putTree([
    { mode: '40000', path: 'prod', oid: sub, type: 'tree' },
    { mode: '40000', path: 'dev', oid: sub, type: 'tree' },
    { mode: '40000', path: 'a', oid: sub, type: 'tree' },
    { mode: '100644', path: 'a.b', oid: blob, type: 'blob' },
  ])
  const order = ['a.b', 'a', 'dev', 'prod']
  t.same((await store.readTree(tree)).map((e) => e.path), order, 'from memory')
  await store.flush([blob, sub, tree])
  t.same((await new ObjectStore(bare).readTree(tree)).map((e) => e.path), order, 'from disk')
  t.same(git(bare, 'ls-tree', '--name-only', tree).trim().split('\n'), order)
})

t.test('the shallow boundary is read from the shallow file, and again when git rewrites or removes it', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'a.txt': 'a\n' })
  const seed = git(bare, 'rev-parse', 'main').trim()
  const tip = git(bare, 'commit-tree', 'main^{tree}', '-p', 'main', '-m', 'tip').trim()
  git(bare, 'update-ref', 'refs/heads/main', tip)
  const clone = `${dir}/clone.git`
  git(dir, 'clone', '-q', '--bare', '--depth', '1', `file://${bare}`, clone)
  const store = new ObjectStore(clone)
  t.ok(store.isShallow(tip))
  t.notOk(store.isShallow(seed))
  git(clone, 'fetch', '-q', '--deepen=1', 'origin', 'main')
  t.notOk(store.isShallow(tip), 'the boundary moved')
  git(clone, 'fetch', '-q', '--unshallow', 'origin', 'main')
  t.equal(store.shallowCommits().size, 0, 'complete: no shallow file')
  t.equal(new ObjectStore(bare).shallowCommits().size, 0, 'a full repository')
})
