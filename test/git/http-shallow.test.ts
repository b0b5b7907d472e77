import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { HttpRemote } from '../../src/git/http-remote.js'
import { writeCommit } from '../../src/git/write-commit.js'
import { git } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { tmpDir, writeTree } from '../helpers/tmp.js'

const author = { name: 'infra-sync', email: 'infra-sync@localhost' }

/** A bare repository whose main has `n` commits, each changing one file: one git fast-import, not n commits. */
function repoWithHistory(dir: string, n: number): string {
  const bare = path.join(dir, 'infra.git')
  git(dir, 'init', '-q', '--bare', '-b', 'main', bare)
  git(bare, 'config', 'http.receivepack', 'true')
  let script = ''
  for (let i = 1; i <= n; i++) {
    const content = `version ${i}\n`
    const message = `commit ${i}\n`
    script += `commit refs/heads/main\ncommitter Human <h@example.com> ${1_700_000_000 + i} +0000\ndata ${message.length}\n${message}`
    script += `M 100644 inline services/a/file.txt\ndata ${content.length}\n${content}\n`
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: bare, input: script })
  return bare
}

const shallowOf = (gitdir: string) => (fs.existsSync(path.join(gitdir, 'shallow')) ? fs.readFileSync(path.join(gitdir, 'shallow'), 'utf8') : null)
const localCount = (gitdir: string, rev: string) => Number(git(gitdir, 'rev-list', '--count', rev).trim())

t.test('a first clone is shallow; git reads it; pushes work; deepen brings history until it is complete', async (t) => {
  const dir = tmpDir(t)
  const bare = repoWithHistory(dir, 50)
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  const remote = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'clones') })
  t.teardown(() => remote.close())
  await remote.prepare()
  const head = (await remote.sync())!
  t.equal(head, git(bare, 'rev-parse', 'main').trim())
  t.equal(shallowOf(remote.gitdir), `${head}\n`, 'the boundary is the tip, as git writes it')
  t.equal(localCount(remote.gitdir, 'refs/remotes/origin/main'), 1, 'one commit locally')
  t.equal(git(remote.gitdir, 'log', '--format=%s', 'refs/remotes/origin/main').trim(), 'commit 50', 'git log reads the clone')
  git(remote.gitdir, 'fsck', '--no-dangling')
  const fetch = server.requests.find((r) => /command=fetch/.test(r.body?.toString('latin1') ?? ''))!
  t.match(fetch.body!.toString('latin1'), 'deepen 1\n')

  // Someone pushes with git: the next fetch names our boundary, so the server sends only the new commit.
  const work = path.join(dir, 'human')
  git(dir, 'clone', '-q', bare, work)
  writeTree(work, { 'notes.txt': 'by hand\n' })
  git(work, 'add', '-A')
  git(work, 'commit', '-q', '-m', 'by hand')
  git(work, 'push', '-q', 'origin', 'HEAD:main')
  server.requests.length = 0
  const human = (await remote.sync())!
  t.equal(human, git(bare, 'rev-parse', 'main').trim())
  const later = server.requests.find((r) => /command=fetch/.test(r.body?.toString('latin1') ?? ''))!
  t.match(later.body!.toString('latin1'), `shallow ${head}\n`)
  t.notMatch(later.body!.toString('latin1'), 'deepen')
  t.equal(localCount(remote.gitdir, 'refs/remotes/origin/main'), 2, 'the new commit on top of the boundary')
  t.equal(shallowOf(remote.gitdir), `${head}\n`, 'the boundary stays')

  // A push after a shallow clone.
  const c = await writeCommit(remote.objects, { parent: human, files: new Map([['services/a/file.txt', Buffer.from('ours\n')]]), message: 'ours\n', author, when: new Date() })
  await remote.push(human, c)
  t.equal(git(bare, 'rev-parse', 'main').trim(), c.oid)
  t.equal(git(bare, 'show', 'main:services/a/file.txt'), 'ours\n')
  git(bare, 'fsck', '--strict')

  t.equal(await remote.deepen(10), true)
  const boundary = git(bare, 'rev-parse', `${head}~10`).trim()
  t.equal(shallowOf(remote.gitdir), `${boundary}\n`, 'the boundary moved 10 commits back')
  t.equal(localCount(remote.gitdir, 'refs/remotes/origin/main'), 13, 'ours, the human commit, and 11 of the 50')
  t.equal(git(remote.gitdir, 'log', '-1', '--format=%s', boundary).trim(), 'commit 40')
  git(remote.gitdir, 'fsck', '--no-dangling')

  let rounds = 0
  while (await remote.deepen(20)) rounds++
  t.equal(rounds, 2, '39 more commits in rounds of 20')
  t.equal(shallowOf(remote.gitdir), null, 'no boundary left')
  t.equal(localCount(remote.gitdir, 'refs/remotes/origin/main'), 52)
  t.equal(await remote.deepen(10), false, 'complete')
  git(remote.gitdir, 'fsck', '--strict', '--no-dangling')
})

t.test('over a v0-only server the first clone is full (as before) and there is nothing to deepen', async (t) => {
  const dir = tmpDir(t)
  const bare = repoWithHistory(dir, 5)
  const server = await startGitServer(bare, { protocol: 0 })
  t.teardown(() => server.close())
  const remote = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'clones') })
  t.teardown(() => remote.close())
  await remote.prepare()
  const head = (await remote.sync())!
  t.equal(head, git(bare, 'rev-parse', 'main').trim())
  t.equal(shallowOf(remote.gitdir), null)
  t.equal(localCount(remote.gitdir, 'refs/remotes/origin/main'), 5)
  t.equal(await remote.deepen(10), false)
})

t.test('a clone made shallow over v2, then the server speaks only v0: fetches name the boundary, deepen works over v0', async (t) => {
  const dir = tmpDir(t)
  const bare = repoWithHistory(dir, 30)
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  const open = () => {
    const r = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'clones') })
    t.teardown(() => r.close())
    return r
  }
  const first = open()
  await first.prepare()
  const head = (await first.sync())!
  t.equal(shallowOf(first.gitdir), `${head}\n`)

  server.protocol = 0
  const work = path.join(dir, 'human')
  git(dir, 'clone', '-q', bare, work)
  writeTree(work, { 'notes.txt': 'by hand\n' })
  git(work, 'add', '-A')
  git(work, 'commit', '-q', '-m', 'by hand')
  git(work, 'push', '-q', 'origin', 'HEAD:main')
  // A new process: nothing remembered of the v2 server.
  const remote = open()
  await remote.prepare()
  server.requests.length = 0
  t.equal(await remote.sync(), git(bare, 'rev-parse', 'main').trim())
  const v0fetch = server.requests.find((r) => r.service === 'upload-pack' && r.body?.includes('want '))!
  t.ok(server.requests.some((r) => r.service === 'info-refs' && r.gitProtocol === 'version=2'), 'v2 was offered')
  t.equal(v0fetch.gitProtocol, undefined, 'the server answered v0, so the fetch is v0')
  t.notMatch(v0fetch.body!.toString('latin1'), 'command=')
  t.match(v0fetch.body!.toString('latin1'), `shallow ${head}\n`)
  t.equal(localCount(remote.gitdir, 'refs/remotes/origin/main'), 2)

  t.equal(await remote.deepen(10), true)
  t.equal(shallowOf(remote.gitdir), `${git(bare, 'rev-parse', `${head}~10`).trim()}\n`)
  t.equal(localCount(remote.gitdir, 'refs/remotes/origin/main'), 12)
  t.equal(await remote.deepen(100), true)
  t.equal(shallowOf(remote.gitdir), null)
  t.equal(localCount(remote.gitdir, 'refs/remotes/origin/main'), 31)
  t.equal(await remote.deepen(100), false)
  git(remote.gitdir, 'fsck', '--strict', '--no-dangling')
})

t.test('a repository of one commit: the boundary is that root, as git clone --depth 1 writes it; one deepen completes it', async (t) => {
  const dir = tmpDir(t)
  const bare = repoWithHistory(dir, 1)
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  const remote = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'clones') })
  t.teardown(() => remote.close())
  await remote.prepare()
  t.equal(await remote.sync(), git(bare, 'rev-parse', 'main').trim())
  git(dir, 'clone', '-q', '--bare', '--depth', '1', `file://${bare}`, path.join(dir, 'by-git.git'))
  t.equal(shallowOf(remote.gitdir), shallowOf(path.join(dir, 'by-git.git')))
  t.equal(await remote.deepen(10), true, 'the server unshallows the root')
  t.equal(shallowOf(remote.gitdir), null)
  t.equal(await remote.deepen(10), false)
  git(remote.gitdir, 'fsck', '--strict', '--no-dangling')
})
