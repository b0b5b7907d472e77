import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { GitRemoteError } from '../../src/core/errors.js'
import { CliRemote } from '../../src/git/cli-remote.js'
import { writeCommit } from '../../src/git/write-commit.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { startSshd } from '../helpers/sshd.js'
import { tmpDir } from '../helpers/tmp.js'

const author = { name: 'infra-sync', email: 'infra-sync@localhost' }
const TOKEN = 'ghs_firstinstallationtoken0123456789'
const ROTATED = 'ghs_secondinstallationtoken9876543210'

const commitOn = (remote: CliRemote, parent: string | null, content: string) =>
  writeCommit(remote.objects, { parent, files: new Map([['a.txt', Buffer.from(content)]]), message: `${content}\n`, author, when: new Date() })

t.test('a repository without the branch: sync says null, a push with no base creates it, once', async (t) => {
  const dir = tmpDir(t)
  const bare = path.join(dir, 'empty.git')
  git(dir, 'init', '-q', '--bare', bare)
  git(bare, 'config', 'http.receivepack', 'true')
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  const remote = new CliRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'clones') })
  await remote.prepare()
  t.equal(await remote.sync(), null)
  const first = await commitOn(remote, null, 'one')
  await remote.push(null, first)
  t.equal(git(bare, 'rev-parse', 'main').trim(), first.oid)
  t.equal(git(remote.gitdir, 'rev-parse', 'refs/remotes/origin/main').trim(), first.oid, 'the tracking ref follows the push')
  await t.rejects(remote.push(null, await commitOn(remote, null, 'two')), { code: 'PUSH_REJECTED' }, 'it must not exist, and it does')
  t.equal(await remote.sync(), first.oid)
})

t.test('a token goes to git through the environment, and never into an error, the clone or its config', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'a.txt': 'v1\n' })
  const server = await startGitServer(bare, { token: TOKEN })
  t.teardown(() => server.close())
  const url = server.url.replace('http://', `http://x-access-token:${TOKEN}@`)
  const remote = new CliRemote({ url, branch: 'main', clonesDir: path.join(dir, 'clones') })
  await remote.prepare()
  t.notMatch(remote.description, TOKEN)
  t.notMatch(fs.readFileSync(path.join(remote.gitdir, 'config'), 'utf8'), TOKEN, 'the URL in the clone has no credentials')
  const head = (await remote.sync())!
  t.equal(head, git(bare, 'rev-parse', 'main').trim())
  t.ok(server.requests.some((r) => r.authorization?.startsWith('Basic ')), 'sent as Basic auth')

  server.token = ROTATED
  const e = await remote.sync().catch((e: unknown) => e)
  t.type(e, GitRemoteError)
  const err = e as GitRemoteError
  t.equal(err.code, 'GIT_REMOTE')
  t.equal(typeof err.data.stderr, 'string')
  t.ok((err.data.stderr as string).length <= 2048)
  const shown = JSON.stringify({ message: err.message, data: err.data })
  t.notMatch(shown, TOKEN)
  t.notMatch(shown, Buffer.from(`x-access-token:${TOKEN}`).toString('base64'))
})

t.test('credentials from a provider: asked for every command, a refused one asked again', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'a.txt': 'v1\n' })
  const server = await startGitServer(bare, { token: TOKEN })
  t.teardown(() => server.close())
  let current = TOKEN
  let stale: string | undefined
  const credentials = async () => {
    // The first answer after a rotation is the old token, as a cache that has not yet noticed would give.
    const password = stale ?? current
    stale = undefined
    return { username: 'x-access-token', password }
  }
  const remote = new CliRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'clones'), credentials })
  await remote.prepare()
  const head = (await remote.sync())!
  server.token = ROTATED
  stale = current
  current = ROTATED
  const c1 = await commitOn(remote, head, 'v2')
  await remote.push(head, c1)
  t.equal(git(bare, 'rev-parse', 'main').trim(), c1.oid)

  const failing = new CliRemote({
    url: server.url,
    branch: 'main',
    clonesDir: path.join(dir, 'clones2'),
    credentials: async () => {
      throw new Error('the App is gone')
    },
  })
  await failing.prepare()
  await t.rejects(failing.sync(), { code: 'GIT_REMOTE' })
})

t.test('a remote that is down is a retryable GIT_REMOTE with what git said', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'a.txt': 'v1\n' })
  const server = await startGitServer(bare)
  const remote = new CliRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'clones') })
  await remote.prepare()
  const head = (await remote.sync())!
  await server.close()
  for (const op of [() => remote.sync(), async () => remote.push(head, await commitOn(remote, head, 'v2')), () => remote.listRefs('refs/heads/')]) {
    const e = (await op().catch((e: unknown) => e)) as GitRemoteError
    t.equal(e.code, 'GIT_REMOTE')
    t.equal(e.retryable, true)
    t.ok(typeof e.data.stderr === 'string' && e.data.stderr.length > 0)
  }
})

t.test('over ssh: the known_hosts given is the only trust; a host key it does not name is refused', async (t) => {
  const dir = tmpDir(t)
  const bare = fs.realpathSync(makeBareRepo(dir, { 'a.txt': 'v1\n' }))
  const sshd = await startSshd(tmpDir(t))
  t.teardown(() => sshd.close())
  const good = new CliRemote({ url: sshd.url(bare), branch: 'main', clonesDir: path.join(dir, 'clones'), ssh: { keyFile: sshd.keyFile, knownHosts: sshd.knownHosts } })
  await good.prepare()
  t.equal(await good.sync(), git(bare, 'rev-parse', 'main').trim())

  const otherHosts = path.join(dir, 'other_known_hosts')
  fs.writeFileSync(otherHosts, '')
  const bad = new CliRemote({ url: sshd.url(bare), branch: 'main', clonesDir: path.join(dir, 'clones2'), ssh: { keyFile: sshd.keyFile, knownHosts: otherHosts } })
  await bad.prepare()
  await t.rejects(bad.sync(), { code: 'GIT_REMOTE' }, 'never asks, never trusts a new key')
})

t.test('an scp-like SSH URL names its clone and is shown as it is', async (t) => {
  const dir = tmpDir(t)
  const remote = new CliRemote({ url: 'git@github.com:acme/infra.git', branch: 'main', clonesDir: dir })
  t.equal(remote.description, 'git@github.com:acme/infra.git')
  t.match(path.basename(remote.gitdir), /^github\.com-acme-infra-[0-9a-f]{8}\.git$/)
  t.equal(path.dirname(remote.gitdir), dir)
  await remote.prepare()
  t.equal(git(remote.gitdir, 'config', 'remote.origin.url').trim(), 'git@github.com:acme/infra.git')
})

t.test('the first fetch is shallow, later ones incremental; deepen fetches from the boundary until the history is whole', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'a.txt': 'v1\n' })
  const more = () => {
    const oid = git(bare, 'commit-tree', 'main^{tree}', '-p', 'main', '-m', 'more').trim()
    git(bare, 'update-ref', 'refs/heads/main', oid)
    return oid
  }
  const seed = git(bare, 'rev-parse', 'main').trim()
  const second = more()
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  const remote = new CliRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'clones') })
  await remote.prepare()
  t.equal(await remote.sync(), second)
  t.same([...remote.objects.shallowCommits()], [second], 'the tip only')
  t.notOk(await remote.objects.has(seed))
  const third = more()
  t.equal(await remote.sync(), third)
  t.ok(await remote.objects.has(second), 'the second fetch brought what is new, not a new depth-1 clone')
  t.same([...remote.objects.shallowCommits()], [second], 'the boundary stays')
  t.equal(await remote.deepen(1), true)
  t.ok(await remote.objects.has(seed))
  t.equal(git(remote.gitdir, 'rev-parse', 'refs/remotes/origin/main').trim(), third, 'the tracking ref is where sync left it')
  let rounds = 0
  while (rounds < 3 && (await remote.deepen(1))) rounds++
  t.ok(rounds < 3)
  t.equal(remote.objects.shallowCommits().size, 0, 'complete')
  t.equal(await remote.deepen(1), false)
})
