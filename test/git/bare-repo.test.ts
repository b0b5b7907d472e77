import path from 'node:path'
import t from 'tap'
import { currentBranch, initBareRepo, resolveRef, writeRef } from '../../src/git/bare-repo.js'
import { ObjectStore } from '../../src/git/object-store.js'
import { seedRepo } from '../../src/git/seed-repo.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { tmpDir, writeTree } from '../helpers/tmp.js'

t.test('a repository made here is one git accepts, with its origin and branch', async (t) => {
  const gitdir = path.join(tmpDir(t), 'new.git')
  const url = 'https://git.example.com/infra.git#x;y "q"'
  await initBareRepo(gitdir, 'trunk', { originUrl: url })
  t.equal(git(gitdir, 'rev-parse', '--is-bare-repository').trim(), 'true')
  t.equal(git(gitdir, 'config', '--get', 'remote.origin.url').trim(), url, 'a URL with # ; and quotes survives')
  t.equal(git(gitdir, 'config', '--get', 'remote.origin.fetch').trim(), '+refs/heads/*:refs/remotes/origin/*')
  t.equal(git(gitdir, 'symbolic-ref', 'HEAD').trim(), 'refs/heads/trunk')
  t.equal(await currentBranch(gitdir), 'trunk')
  t.equal(await resolveRef(gitdir, 'HEAD'), null, 'no commit yet')
  t.equal(await resolveRef(gitdir, 'refs/heads/trunk'), null)

  const store = new ObjectStore(gitdir)
  const tree = store.putTree([])
  const who = 'A <a@example.com> 0 +0000'
  const commit = store.putCommit({ tree, parents: [], author: who, committer: who, message: 'm\n' })
  await store.flush()
  await writeRef(gitdir, 'refs/heads/trunk', commit)
  t.equal(git(gitdir, 'rev-parse', 'trunk').trim(), commit, 'git reads the ref written here')
  t.equal(await resolveRef(gitdir, 'HEAD'), commit, 'HEAD follows its branch')
  git(gitdir, 'fsck', '--strict')
  t.same(await initBareRepo(path.join(tmpDir(t), 'plain.git'), 'main'), undefined, 'no origin is fine')
})

t.test('refs are read loose over packed, as git reads them; absent is null', async (t) => {
  const bare = makeBareRepo(tmpDir(t), { 'a.txt': 'a\n' })
  const first = git(bare, 'rev-parse', 'main').trim()
  git(bare, 'update-ref', 'refs/heads/x/y', first)
  git(bare, 'tag', '-a', '-m', 'tag', 'v1', first)
  git(bare, 'pack-refs', '--all')
  t.equal(await resolveRef(bare, 'refs/heads/x/y'), first, 'from packed-refs')
  t.equal(await resolveRef(bare, 'refs/tags/v1'), git(bare, 'rev-parse', 'refs/tags/v1').trim(), 'a peeled line is not a ref')
  t.equal(await resolveRef(bare, 'refs/heads/x/y/z'), null, 'a ref under a packed one')
  t.equal(await resolveRef(bare, 'refs/heads/nope'), null)
  git(bare, 'update-ref', 'refs/heads/z/w', first)
  t.equal(await resolveRef(bare, 'refs/heads/z/w/deeper'), null, 'a ref under a loose file is absent, not an error')
  const tree = git(bare, 'rev-parse', 'main^{tree}').trim()
  const second = git(bare, 'commit-tree', tree, '-p', first, '-m', 'second').trim()
  git(bare, 'update-ref', 'refs/heads/x/y', second)
  t.equal(await resolveRef(bare, 'refs/heads/x/y'), second, 'the loose ref is the newer value')
  git(bare, 'update-ref', '--no-deref', 'HEAD', first)
  t.equal(await currentBranch(bare), null, 'detached HEAD names no branch')
  t.equal(await resolveRef(bare, 'HEAD'), first)
})

t.test('a seeded repository is whole for git, and seeding twice leaves it alone', async (t) => {
  const dir = tmpDir(t)
  writeTree(path.join(dir, 'src'), { 'svc/a.yaml': 'a: 1\n', 'b.txt': 'b\n' })
  const gitdir = path.join(dir, 'data', 'infra.git')
  const oid = await seedRepo(gitdir, 'main', [{ from: path.join(dir, 'src'), to: 'services' }], { name: 'Seed', email: 'seed@example.com' })
  t.equal(git(gitdir, 'rev-parse', 'main').trim(), oid)
  t.equal(git(gitdir, 'show', 'main:services/svc/a.yaml'), 'a: 1\n')
  git(gitdir, 'fsck', '--strict')
  t.equal(await seedRepo(gitdir, 'main', [], { name: 'Seed', email: 'seed@example.com' }), null)
})
