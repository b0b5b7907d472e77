import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { HttpRemote } from '../../src/git/http-remote.js'
import { writeCommit } from '../../src/git/write-commit.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { startRedirectServer } from '../helpers/redirect-server.js'
import { tmpDir } from '../helpers/tmp.js'

const author = { name: 'infra-sync', email: 'infra-sync@localhost' }
const TOKEN = 'ghp_redirecttoken_0123456789abcdef'

/** A bare repo served as /new.git by git http-backend. */
async function newRepo(t: { teardown(fn: () => unknown): void }, token?: string) {
  const dir = tmpDir(t)
  const bare = path.join(dir, 'new.git')
  fs.renameSync(makeBareRepo(dir, { 'README.md': 'x\n' }), bare)
  const server = await startGitServer(bare, token ? { token } : {})
  t.teardown(() => server.close())
  return { dir, bare, server }
}

t.test('a renamed repository (301 of info/refs): sync and push follow it, the push goes to the new place', async (t) => {
  const { dir, bare, server } = await newRepo(t, TOKEN)
  const front = await startRedirectServer(new URL(server.url).origin, (p) => (p.startsWith('/old.git/info/refs') ? p.replace('/old.git/', '/new.git/') : undefined))
  t.teardown(() => front.close())
  const remote = new HttpRemote({ url: `${front.origin}/old.git`, branch: 'main', clonesDir: path.join(dir, 'clones'), token: TOKEN })
  t.teardown(() => remote.close())
  await remote.prepare()
  const head = (await remote.sync())!
  t.equal(head, git(bare, 'rev-parse', 'main').trim())
  const c = await writeCommit(remote.objects, { parent: head, files: new Map([['README.md', Buffer.from('y\n')]]), message: 'deploy\n', author, when: new Date() })
  await remote.push(head, c)
  t.equal(git(bare, 'rev-parse', 'main').trim(), c.oid)
  const posts = front.requests.filter((r) => r.method === 'POST').map((r) => r.url)
  t.ok(posts.length > 0 && posts.every((u) => u.startsWith('/new.git/')), 'every POST went to the new base')
  t.ok(front.requests.every((r) => r.authorization), 'the same origin gets the credentials')
  t.ok(front.requests.every((r) => r.userAgent?.startsWith('git/')), 'a git/ User-Agent on every request')
  const c2 = await writeCommit(remote.objects, { parent: c.oid, files: new Map([['README.md', Buffer.from('z\n')]]), message: 'deploy\n', author, when: new Date() })
  front.requests.length = 0
  t.equal(await remote.sync(), c.oid)
  await remote.pushRef('refs/heads/infra-sync/pr-1', null, c2)
  t.same((await remote.listRefs('refs/heads/infra-sync/')).get('refs/heads/infra-sync/pr-1'), c2.oid)
  t.notOk(front.requests.some((r) => r.url.startsWith('/old.git/')), 'the moved base is kept for the requests that follow')
})

t.test('a redirect to another host does not carry the credentials', async (t) => {
  const { dir, bare, server } = await newRepo(t)
  const port = new URL(server.url).port
  const front = await startRedirectServer(server.url, (p) => (p.startsWith('/old.git/info/refs') ? `http://localhost:${port}${p.replace('/old.git/', '/new.git/')}` : undefined), 302)
  t.teardown(() => front.close())
  const remote = new HttpRemote({ url: `${front.origin}/old.git`, branch: 'main', clonesDir: path.join(dir, 'clones'), token: TOKEN })
  t.teardown(() => remote.close())
  await remote.prepare()
  const head = (await remote.sync())!
  t.equal(head, git(bare, 'rev-parse', 'main').trim())
  const c = await writeCommit(remote.objects, { parent: head, files: new Map([['README.md', Buffer.from('y\n')]]), message: 'deploy\n', author, when: new Date() })
  await remote.push(head, c)
  t.equal(git(bare, 'rev-parse', 'main').trim(), c.oid)
  t.ok(front.requests[0]?.authorization, 'the configured host got them')
  t.ok(server.requests.length > 0, 'the other host was reached')
  t.notOk(server.requests.some((r) => r.authorization), 'the other host never saw the Authorization header')
})

t.test('redirect loops, other schemes and redirected POSTs are final errors', async (t) => {
  const { dir, server } = await newRepo(t)
  const loop = await startRedirectServer(server.url, (p) => (p.includes('/info/refs') ? p : undefined))
  t.teardown(() => loop.close())
  const r1 = new HttpRemote({ url: `${loop.origin}/old.git`, branch: 'main', clonesDir: path.join(dir, 'c1') })
  t.teardown(() => r1.close())
  await r1.prepare()
  t.match(await r1.sync().catch((e) => e), { code: 'GIT_REMOTE', retryable: false, data: { reason: 'too-many-redirects' } })

  const ftp = await startRedirectServer(server.url, (p) => (p.includes('/info/refs') ? `ftp://127.0.0.1/new.git${p.slice(p.indexOf('/info/refs'))}` : undefined))
  t.teardown(() => ftp.close())
  const r2 = new HttpRemote({ url: `${ftp.origin}/old.git`, branch: 'main', clonesDir: path.join(dir, 'c2') })
  t.teardown(() => r2.close())
  await r2.prepare()
  t.match(await r2.sync().catch((e) => e), { code: 'GIT_REMOTE', retryable: false, data: { reason: 'bad-redirect' } })

  // info/refs answers in place; the upload-pack POST is redirected: not followed.
  const post = await startRedirectServer(new URL(server.url).origin, (p) => (p.endsWith('/git-upload-pack') ? '/elsewhere.git/git-upload-pack' : undefined), 307)
  t.teardown(() => post.close())
  const r3 = new HttpRemote({ url: `${post.origin}/new.git`, branch: 'main', clonesDir: path.join(dir, 'c3') })
  t.teardown(() => r3.close())
  await r3.prepare()
  t.match(await r3.sync().catch((e) => e), { code: 'GIT_REMOTE', retryable: false, data: { status: 307, reason: 'redirect' } })
})
