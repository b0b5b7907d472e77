import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { GitSnapshot } from '../../src/git/snapshot.js'
import { HttpRemote } from '../../src/git/http-remote.js'
import { writeCommit } from '../../src/git/write-commit.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { tmpDir } from '../helpers/tmp.js'

const author = { name: 'infra-sync', email: 'infra-sync@localhost' }
const TOKEN = 'ghp_testtoken_0123456789abcdefghij'

async function setup(t: { teardown(fn: () => unknown): void }, token: string | undefined = TOKEN) {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'services/a/overlays/dev/kustomization.yaml': 'v1\n', 'README.md': 'x\n' })
  const server = await startGitServer(bare, token ? { token } : {})
  t.teardown(() => server.close())
  const remote = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'clones'), ...(token && { token }) })
  t.teardown(() => remote.close())
  await remote.prepare()
  return { dir, bare, server, remote }
}

t.test('clones, reads, and pushes exactly the objects it wrote', async (t) => {
  const { bare, server, remote } = await setup(t)
  const head = (await remote.sync())!
  t.equal(head, git(bare, 'rev-parse', 'main').trim())
  git(remote.gitdir, 'fsck', '--strict', '--no-dangling')
  const snap = await GitSnapshot.at(remote.objects, head)
  t.equal(Buffer.from((await snap.read('services/a/overlays/dev/kustomization.yaml'))!).toString(), 'v1\n')

  const c = await writeCommit(remote.objects, { parent: head, files: new Map([['services/a/overlays/dev/kustomization.yaml', Buffer.from('v2\n')]]), message: 'deploy\n', author, when: new Date() })
  server.requests.length = 0
  await remote.push(head, c)
  t.same(server.requests.map((r) => `${r.method} ${r.service}`), ['GET info-refs', 'POST receive-pack'])
  t.equal(git(bare, 'rev-parse', 'main').trim(), c.oid)
  t.equal(git(bare, 'show', 'main:services/a/overlays/dev/kustomization.yaml'), 'v2\n')
  git(bare, 'fsck', '--strict')
  t.equal(git(bare, 'count-objects', '-v').match(/in-pack: (\d+)/)?.[1] !== undefined, true)

  server.requests.length = 0
  t.equal(await remote.sync(), c.oid)
  t.notOk(server.requests.some((r) => /command=fetch|want /.test(r.body?.toString('latin1') ?? '')), 'nothing to fetch after our own push')
  const c2 = await writeCommit(remote.objects, { parent: c.oid, files: new Map([['README.md', Buffer.from('y\n')]]), message: 'm\n', author, when: new Date() })
  server.requests.length = 0
  await remote.push(c.oid, c2)
  t.same(server.requests.map((r) => `${r.method} ${r.service}`), ['POST receive-pack'], 'receive-pack capabilities are remembered')
})

t.test('someone else pushed first: rejected, never forced; the next sync fetches their commit', async (t) => {
  const { dir, bare, server, remote } = await setup(t)
  const head = (await remote.sync())!
  const human = path.join(dir, 'human')
  git(dir, 'clone', '-q', bare, human)
  fs.writeFileSync(path.join(human, 'README.md'), 'human\n')
  git(human, 'commit', '-qam', 'human change')
  git(human, 'push', '-q', 'origin', 'main')
  const theirs = git(bare, 'rev-parse', 'main').trim()

  const c = await writeCommit(remote.objects, { parent: head, files: new Map([['services/a/overlays/dev/kustomization.yaml', Buffer.from('v2\n')]]), message: 'deploy\n', author, when: new Date() })
  await t.rejects(remote.push(head, c), { code: 'PUSH_REJECTED' })
  t.equal(git(bare, 'rev-parse', 'main').trim(), theirs, 'the human commit stands')
  server.requests.length = 0
  t.equal(await remote.sync(), theirs)
  t.ok(server.requests.some((r) => /command=fetch/.test(r.body?.toString('latin1') ?? '')), 'one fetch (v2)')
  const snap = await GitSnapshot.at(remote.objects, theirs)
  t.equal(Buffer.from((await snap.read('README.md'))!).toString(), 'human\n')
  // The clone is a repository git itself accepts: our index of the fetched pack included.
  git(remote.gitdir, 'fsck', '--strict', '--no-dangling')
  for (const idx of fs.readdirSync(path.join(remote.gitdir, 'objects', 'pack')).filter((n) => n.endsWith('.idx'))) git(remote.gitdir, 'verify-pack', path.join(remote.gitdir, 'objects', 'pack', idx))
  t.equal(git(remote.gitdir, 'rev-parse', 'refs/remotes/origin/main').trim(), theirs)
})

t.test('remote failures are typed, retryable or not, and never carry the token', async (t) => {
  const { server, remote } = await setup(t)
  server.hooks = { before: () => 'fail' }
  const e1 = await remote.sync().catch((e) => e)
  t.match(e1, { code: 'GIT_REMOTE', retryable: true, data: { status: 500 } })
  server.hooks = { before: () => 'drop' }
  const e2 = await remote.sync().catch((e) => e)
  t.match(e2, { code: 'GIT_REMOTE', retryable: true })
  server.hooks = {}
  for (const e of [e1, e2]) t.notMatch(`${e.message} ${JSON.stringify(e.data)}`, TOKEN)

  const dir = tmpDir(t)
  const wrong = new HttpRemote({ url: server.url, branch: 'main', clonesDir: dir, token: 'wrong-token-0123456789' })
  await wrong.prepare()
  const e3 = await wrong.sync().catch((e) => e)
  t.match(e3, { code: 'GIT_REMOTE', retryable: false, data: { status: 401 } })
  t.notMatch(e3.message, 'wrong-token')
  await wrong.close()
})

t.test('credentials in the URL are moved out of it', async (t) => {
  const { dir, server, bare } = await setup(t)
  const u = new URL(server.url)
  u.username = 'x-access-token'
  u.password = TOKEN
  const remote = new HttpRemote({ url: u.toString(), branch: 'main', clonesDir: path.join(dir, 'c2') })
  await remote.prepare()
  t.notMatch(remote.description, TOKEN)
  t.equal(await remote.sync(), git(bare, 'rev-parse', 'main').trim())
  t.notMatch(fs.readFileSync(path.join(remote.gitdir, 'config'), 'utf8'), TOKEN, 'the clone config holds no token')
  await remote.close()
})

t.test('an empty remote has no head', async (t) => {
  const dir = tmpDir(t)
  const bare = path.join(dir, 'empty.git')
  git(dir, 'init', '-q', '--bare', '-b', 'main', bare)
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  const remote = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'c') })
  await remote.prepare()
  t.equal(await remote.sync(), null)
  await remote.close()
})
