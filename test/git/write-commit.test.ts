import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ObjectStore } from '../../src/git/object-store.js'
import { GitSnapshot } from '../../src/git/snapshot.js'
import { writeCommit } from '../../src/git/write-commit.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { tmpDir } from '../helpers/tmp.js'

const author = { name: 'infra-sync', email: 'infra-sync@localhost' }

t.test('reads a commit and writes one that changes only the trees on the changed paths', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, {
    'services/a/overlays/dev/kustomization.yaml': 'a-dev\n',
    'services/a/overlays/prod/kustomization.yaml': 'a-prod\n',
    'services/b/overlays/dev/kustomization.yaml': 'b-dev\n',
    'README.md': 'infra\n',
  })
  const head = git(bare, 'rev-parse', 'main').trim()
  const store = new ObjectStore(bare)
  const snap = await GitSnapshot.at(store, head)
  t.same((await snap.list('services'))!.map((e) => [e.name, e.kind]), [
    ['a', 'tree'],
    ['b', 'tree'],
  ])
  t.equal(Buffer.from((await snap.read('services/a/overlays/dev/kustomization.yaml'))!).toString(), 'a-dev\n')
  t.equal(await snap.read('services/zzz/nothing.yaml'), null)
  t.equal(await snap.list('services/zzz'), null)
  await t.rejects(snap.read('../etc/passwd'), { code: 'PATH_UNSAFE' })
  await t.rejects(snap.read('.git/config'), { code: 'PATH_UNSAFE' })

  const written = await writeCommit(store, {
    parent: head,
    files: new Map([
      ['services/a/overlays/dev/kustomization.yaml', Buffer.from('a-dev v2\n')],
      ['services/c/overlays/dev/kustomization.yaml', Buffer.from('c-dev\n')],
    ]),
    message: 'deploy: test\n\nInfra-Sync-Event: E1\n',
    author,
    when: new Date('2026-11-25T10:00:00Z'),
  })
  t.throws(() => git(bare, 'cat-file', '-e', written.oid), 'nothing on disk before flush')
  await store.flush(written.objects)
  git(bare, 'update-ref', 'refs/heads/main', written.oid, head)
  git(bare, 'fsck', '--strict', '--no-dangling')
  t.equal(git(bare, 'show', 'main:services/a/overlays/dev/kustomization.yaml'), 'a-dev v2\n')
  t.equal(git(bare, 'diff', '--name-only', head, 'main').trim().split('\n').sort().join(','), 'services/a/overlays/dev/kustomization.yaml,services/c/overlays/dev/kustomization.yaml')
  t.equal(git(bare, 'rev-parse', `${head}:services/b`), git(bare, 'rev-parse', 'main:services/b'), 'an untouched folder keeps its tree')
  t.equal(git(bare, 'rev-parse', `${head}:services/a/overlays/prod`), git(bare, 'rev-parse', 'main:services/a/overlays/prod'))
  // blobs (2) + trees along both paths (dev, overlays, a, dev, overlays, c, services, root) + the commit
  t.equal(written.objects.length, 2 + 8 + 1)
  t.equal(git(bare, 'log', '-1', '--format=%an <%ae> %aI%n%B', 'main'), 'infra-sync <infra-sync@localhost> 2026-11-25T10:00:00+00:00\ndeploy: test\n\nInfra-Sync-Event: E1\n\n')
})

t.test("trees are written in git's order, with git's modes", async (t) => {
  const dir = tmpDir(t)
  // '-' < '.' < '/': a folder sorts as if its name ended in '/'.
  const bare = makeBareRepo(dir, { 'x/foo-bar': '1\n', 'x/foo.txt': '2\n', 'x/foo/a': '3\n', 'x/foo0': '4\n', 'run.sh': '#!/bin/sh\n' })
  const head = git(bare, 'rev-parse', 'main').trim()
  const store = new ObjectStore(bare)
  const written = await writeCommit(store, {
    parent: head,
    files: new Map([
      ['x/foo/a', Buffer.from('3b\n')],
      ['x/foo/b', Buffer.from('new\n')],
      ['x/foo.txt', Buffer.from('2b\n')],
    ]),
    message: 'm\n',
    author,
    when: new Date(),
  })
  await store.flush(written.objects)
  git(bare, 'update-ref', 'refs/heads/main', written.oid, head)
  git(bare, 'fsck', '--strict', '--no-dangling')
  t.equal(git(bare, 'ls-tree', '--name-only', 'main:x'), 'foo-bar\nfoo.txt\nfoo\nfoo0\n')
  t.match(git(bare, 'cat-file', '-p', 'main^{tree}'), /^040000 tree [0-9a-f]{40}\tx$/m)
})

t.test('symbolic links are never read or written through', async (t) => {
  const dir = tmpDir(t)
  const work = path.join(dir, 'w')
  fs.mkdirSync(work)
  git(work, 'init', '-q', '-b', 'main')
  fs.mkdirSync(path.join(work, 'services/a/overlays/dev'), { recursive: true })
  fs.symlinkSync('/etc/passwd', path.join(work, 'services/a/overlays/dev/kustomization.yaml'))
  git(work, 'add', '-A')
  git(work, 'commit', '-q', '-m', 'link')
  const gitdir = path.join(work, '.git')
  const head = git(work, 'rev-parse', 'HEAD').trim()
  const snap = await GitSnapshot.at(new ObjectStore(gitdir), head)
  t.same((await snap.list('services/a/overlays/dev'))!.map((e) => e.kind), ['symlink'])
  await t.rejects(snap.read('services/a/overlays/dev/kustomization.yaml'), { code: 'PATH_UNSAFE' })
  await t.rejects(
    writeCommit(new ObjectStore(gitdir), { parent: head, files: new Map([['services/a/overlays/dev/kustomization.yaml', Buffer.from('x')]]), message: 'm\n', author, when: new Date() }),
    { code: 'PATH_UNSAFE' },
  )
})

/** `git` with raw bytes out: file names that are not UTF-8 must not pass through a string. */
const gitRaw = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
const LATIN1_NAME = Buffer.from('notes-\xe9.txt', 'latin1') // `notes-\351.txt`: not valid UTF-8

t.test('a sibling whose name is not UTF-8 keeps its exact bytes through parse, modify and write', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'services/a/overlays/dev/kustomization.yaml': 'v1\n', 'services/a/overlays/dev/z.txt': 'z\n' })
  // git itself can hold such a name; made here with the git CLI, as a human's commit would be.
  const work = path.join(dir, 'human')
  git(dir, 'clone', '-q', bare, work)
  fs.writeFileSync(Buffer.concat([Buffer.from(`${work}/services/a/overlays/dev/`), LATIN1_NAME]), 'latin-1 notes\n')
  fs.writeFileSync(Buffer.concat([Buffer.from(`${work}/`), LATIN1_NAME]), 'at the root\n')
  git(work, 'add', '-A')
  git(work, 'commit', '-q', '-m', 'a latin-1 file name')
  git(work, 'push', '-q', 'origin', 'main')
  const head = git(bare, 'rev-parse', 'main').trim()
  const before = gitRaw(bare, 'ls-tree', '-z', 'main:services/a/overlays/dev')
  t.ok(before.includes(LATIN1_NAME), 'the repo holds the raw name')

  const store = new ObjectStore(bare)
  const snap = await GitSnapshot.at(store, head)
  t.same((await snap.list('services/a/overlays/dev'))!.map((e) => e.name), ['kustomization.yaml', 'z.txt'], 'a name infra-sync cannot spell is not offered as a file')
  const written = await writeCommit(store, {
    parent: head,
    files: new Map([
      ['services/a/overlays/dev/kustomization.yaml', Buffer.from('v2\n')],
      // A new file beside it: the folder is re-sorted, the raw name must sort by its bytes.
      ['services/a/overlays/dev/a.txt', Buffer.from('new\n')],
      ['README.md', Buffer.from('root changes too\n')],
    ]),
    message: 'deploy\n',
    author,
    when: new Date(),
  })
  await store.flush(written.objects)
  git(bare, 'update-ref', 'refs/heads/main', written.oid, head)
  git(bare, 'fsck', '--strict', '--no-dangling')
  const after = gitRaw(bare, 'ls-tree', '-z', 'main:services/a/overlays/dev')
  const oldEntry = before.toString('latin1').split('\0').find((e) => e.endsWith(`\t${LATIN1_NAME.toString('latin1')}`))
  t.ok(oldEntry, 'ls-tree shows it before')
  t.ok(after.toString('latin1').split('\0').includes(oldEntry!), 'the sibling is unchanged: same name bytes, same blob')
  t.notOk(after.includes(Buffer.from('notes-\u00e9.txt', 'utf8')) || after.includes(Buffer.from('notes-\ufffd.txt', 'utf8')), 'not renamed')
  t.equal(gitRaw(bare, 'ls-tree', '-z', '--name-only', 'main').toString('latin1').split('\0').filter((n) => n === LATIN1_NAME.toString('latin1')).length, 1, 'the root keeps it too')
  t.equal(git(bare, 'diff', '--name-only', head, 'main').trim().split('\n').sort().join(','), 'README.md,services/a/overlays/dev/a.txt,services/a/overlays/dev/kustomization.yaml')
})

t.test('a large folder with one entry changed is written as git would write it, commit after commit, executable bits kept', async (t) => {
  const dir = tmpDir(t)
  const files: Record<string, string> = { 'services/run.sh': '#!/bin/sh\n' }
  // Enough folders that services/ is over the size kept for patching (16 KiB).
  for (let i = 0; i < 600; i++) files[`services/svc-${String(i).padStart(4, '0')}/overlays/dev/kustomization.yaml`] = `tag: ${i}\n`
  const bare = makeBareRepo(dir, files)
  const work = path.join(dir, 'exec')
  git(dir, 'clone', '-q', bare, work)
  git(work, 'update-index', '--chmod=+x', 'services/run.sh')
  git(work, 'commit', '-q', '-m', 'executable')
  git(work, 'push', '-q', 'origin', 'main')
  let head = git(bare, 'rev-parse', 'main').trim()
  t.ok(Number(git(bare, 'cat-file', '-s', 'main:services')) > 16 * 1024, 'services/ is a large tree')
  const store = new ObjectStore(bare)
  for (const [k, changes] of [
    [['services/svc-0007/overlays/dev/kustomization.yaml'], 'services/run.sh'],
    [['services/svc-0599/overlays/dev/kustomization.yaml', 'services/svc-0000/overlays/dev/kustomization.yaml']],
    [['services/run.sh', 'services/svc-0300/overlays/dev/kustomization.yaml']],
  ].entries()) {
    const paths = ([] as string[]).concat(...changes)
    const written = await writeCommit(store, { parent: head, files: new Map(paths.map((p) => [p, Buffer.from(`commit ${k}\n`)])), message: `m${k}\n`, author, when: new Date() })
    await store.flush(written.objects)
    git(bare, 'update-ref', 'refs/heads/main', written.oid, head)
    git(bare, 'fsck', '--strict', '--no-dangling')
    t.equal(git(bare, 'diff', '--name-only', head, 'main').trim().split('\n').sort().join(','), [...paths].sort().join(','), `commit ${k} changes only its paths`)
    // git's own encoding of the same entries gives the same id.
    t.equal(execFileSync('git', ['mktree'], { cwd: bare, input: git(bare, 'ls-tree', 'main:services') }).toString().trim(), git(bare, 'rev-parse', 'main:services').trim())
    head = written.oid
  }
  t.match(git(bare, 'ls-tree', 'main', 'services/run.sh'), /^100755 blob /, 'the executable bit survives')
})
