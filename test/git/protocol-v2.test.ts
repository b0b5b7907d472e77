import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import t from 'tap'
import { HttpRemote } from '../../src/git/http-remote.js'
import { writeCommit } from '../../src/git/write-commit.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer, type GitServer } from '../helpers/git-server.js'
import { startRedirectServer } from '../helpers/redirect-server.js'
import { tmpDir, writeTree } from '../helpers/tmp.js'

const author = { name: 'infra-sync', email: 'infra-sync@localhost' }
const PR = 'refs/heads/infra-sync/orders-api/prod'

/** The v2 command a request carried (`command=ls-refs`), or undefined for a v0 request. */
const commandOf = (body: Buffer | undefined) => /command=([a-z-]+)/.exec(body?.toString('latin1') ?? '')?.[1]

function remoteOn(t: { teardown(fn: () => unknown): void }, server: GitServer, dir: string, name: string) {
  const remote = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, name) })
  t.teardown(() => remote.close())
  return remote
}

t.test('v2 where the server offers it, v0 where it does not: the same refs, the same objects', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'README.md': 'x\n' })
  git(bare, 'branch', 'infra-sync/orders-api/prod', 'main')
  const v2 = await startGitServer(bare)
  const v0 = await startGitServer(bare, { protocol: 0 })
  t.teardown(() => Promise.all([v2.close(), v0.close()]))
  const results = []
  for (const [name, server] of [['v2', v2], ['v0', v0]] as const) {
    const remote = remoteOn(t, server, dir, name)
    await remote.prepare()
    const head = await remote.sync()
    const refs = Object.fromEntries(await remote.listRefs('refs/heads/infra-sync/'))
    const c = await writeCommit(remote.objects, { parent: head, files: new Map([['README.md', Buffer.from(`${name}\n`)]]), message: `${name}\n`, author, when: new Date() })
    await remote.pushRef(`refs/heads/${name}`, null, c)
    t.equal(git(bare, 'show', `${name}:README.md`), `${name}\n`, `${name}: a push works (receive-pack stays v0)`)
    git(remote.gitdir, 'fsck', '--no-dangling')
    results.push({ head, refs })
  }
  t.same(results[0], results[1], 'both protocols see the same')
  t.equal(results[0]!.head, git(bare, 'rev-parse', 'main').trim())

  const uploads = (s: GitServer) => s.requests.filter((r) => r.service === 'upload-pack')
  t.ok(uploads(v2).length > 0 && uploads(v2).every((r) => r.gitProtocol === 'version=2' && commandOf(r.body) !== undefined), 'v2: every upload-pack request is a v2 command')
  t.ok(uploads(v0).length > 0 && uploads(v0).every((r) => r.gitProtocol === undefined && commandOf(r.body) === undefined), 'v0: the server answered v0, so the requests that follow are v0')
  t.ok(v0.requests.some((r) => r.service === 'info-refs' && r.gitProtocol === 'version=2'), 'v2 was offered to the v0 server too')
  t.ok([...v2.requests, ...v0.requests].filter((r) => r.url.includes('git-receive-pack')).every((r) => r.gitProtocol === undefined), 'pushes are v0')
})

t.test('listRefs over v2 asks for the prefix only: 300 pull-request refs never come back', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'README.md': 'x\n' })
  const head = git(bare, 'rev-parse', 'main').trim()
  const lines = Array.from({ length: 300 }, (_, i) => `create refs/pull/${i + 1}/head ${head}`)
  lines.push(`create ${PR} ${head}`)
  execFileSync('git', ['update-ref', '--stdin'], { cwd: bare, input: `${lines.join('\n')}\n` })
  t.equal(git(bare, 'for-each-ref', '--count=400', 'refs/pull/').trim().split('\n').length, 300)
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  const remote = remoteOn(t, server, dir, 'c')
  await remote.prepare()
  t.equal(await remote.sync(), head)
  server.requests.length = 0
  t.same(Object.fromEntries(await remote.listRefs('refs/heads/infra-sync/')), { [PR]: head })
  const lsRefs = server.requests.filter((r) => commandOf(r.body) === 'ls-refs')
  t.ok(lsRefs.length > 0)
  for (const r of lsRefs) {
    const body = r.body!.toString('latin1')
    t.match(body, 'ref-prefix refs/heads/infra-sync/\n', 'the request names the prefix')
    t.notMatch(body, /ref-prefix (?!refs\/heads\/infra-sync\/)/, 'and no other')
  }
  t.same(Object.fromEntries(await remote.listRefs('refs/pull/7/')), { 'refs/pull/7/head': head }, 'a prefix is a prefix, not a pattern')
})

t.test('an empty SHA-256 repository is a final error over v2 (v0 shows it as empty, v2 names the format)', async (t) => {
  const dir = tmpDir(t)
  const bare = path.join(dir, 'infra.git')
  git(dir, 'init', '-q', '--bare', '--object-format=sha256', '-b', 'main', bare)
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  const remote = remoteOn(t, server, dir, 'c')
  await remote.prepare()
  t.match(await remote.sync().catch((e) => e), { code: 'GIT_REMOTE', retryable: false, data: { reason: 'sha256' } })
  t.match(await remote.listRefs('refs/heads/').catch((e) => e), { code: 'GIT_REMOTE', retryable: false, data: { reason: 'sha256' } })
})

t.test('a thin pack (a delta against a blob the clone has) is asked for and completed from the clone, over v2 and v0', async (t) => {
  const dir = tmpDir(t)
  const big = Array.from({ length: 2000 }, (_, i) => `line ${i}: ${'x'.repeat(20)}\n`).join('')
  const bare = makeBareRepo(dir, { 'big.txt': big })
  const v2 = await startGitServer(bare)
  const v0 = await startGitServer(bare, { protocol: 0 })
  t.teardown(() => Promise.all([v2.close(), v0.close()]))
  const remotes = [remoteOn(t, v2, dir, 'v2'), remoteOn(t, v0, dir, 'v0')]
  for (const r of remotes) {
    await r.prepare()
    await r.sync()
  }
  const work = path.join(dir, 'human')
  git(dir, 'clone', '-q', bare, work)
  writeTree(work, { 'big.txt': big.replace('line 1000:', 'line one thousand:') })
  git(work, 'commit', '-qam', 'one line')
  git(work, 'push', '-q', 'origin', 'HEAD:main')
  const theirs = git(bare, 'rev-parse', 'main').trim()
  for (const [i, server] of [v2, v0].entries()) {
    const remote = remotes[i]!
    server.requests.length = 0
    t.equal(await remote.sync(), theirs)
    const fetch = server.requests.find((r) => / want |want /.test(r.body?.toString('latin1') ?? ''))!
    t.match(fetch.body!.toString('latin1'), 'thin-pack')
    const blob = (await remote.objects.readTree((await remote.objects.readCommit(theirs)).tree)).find((e) => e.path === 'big.txt')!
    t.match((await remote.objects.readBlob(blob.oid)).toString(), 'line one thousand:')
    git(remote.gitdir, 'fsck', '--strict', '--no-dangling')
  }
})

t.test("an ERR line from upload-pack (a want the server no longer has) is a typed remote error; the next sync recovers", async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'README.md': 'x\n' })
  const work = path.join(dir, 'human')
  git(dir, 'clone', '-q', bare, work)
  writeTree(work, { 'README.md': 'y\n' })
  git(work, 'commit', '-qam', 'second')
  git(work, 'push', '-q', 'origin', 'HEAD:main')
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  const remote = remoteOn(t, server, dir, 'c')
  await remote.prepare()
  await remote.sync()
  // History rewritten and the old commits pruned: our tip is gone from the server.
  git(work, 'checkout', '-q', '--orphan', 'other')
  git(work, 'commit', '-qm', 'rewritten')
  git(work, 'push', '-q', '-f', 'origin', 'HEAD:main')
  git(bare, 'reflog', 'expire', '--expire=now', '--all')
  git(bare, 'gc', '-q', '--prune=now')
  const e = await remote.deepen(10).catch((x) => x)
  t.match(e, { code: 'GIT_REMOTE', data: { reason: 'remote-error' } })
  t.match(e.data.remoteMessage, /not our ref/)
  t.equal(await remote.sync(), git(bare, 'rev-parse', 'main').trim(), 'the new history is fetched')
  t.equal(await remote.deepen(10), false, 'the new history is one root: nothing behind it, though the old boundary stays listed (as git leaves it until gc)')
})

t.test('a repository moved while infra-sync runs: the remembered v2 advertisement gives way to discovery, which follows the redirect', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'README.md': 'x\n' })
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  const upstream = new URL(server.url)
  let moved = false
  const front = await startRedirectServer(upstream.origin, (p) => (moved ? new URL(p, upstream.origin).href : undefined))
  t.teardown(() => front.close())
  const remote = new HttpRemote({ url: `${front.origin}${upstream.pathname}`, branch: 'main', clonesDir: path.join(dir, 'c') })
  t.teardown(() => remote.close())
  await remote.prepare()
  t.equal(await remote.sync(), git(bare, 'rev-parse', 'main').trim())
  moved = true
  const work = path.join(dir, 'human')
  git(dir, 'clone', '-q', bare, work)
  writeTree(work, { 'README.md': 'y\n' })
  git(work, 'commit', '-qam', 'second')
  git(work, 'push', '-q', 'origin', 'HEAD:main')
  front.requests.length = 0
  t.equal(await remote.sync(), git(bare, 'rev-parse', 'main').trim(), 'the new head, from the new place')
  t.ok(front.requests.some((r) => r.method === 'POST'), 'the remembered advertisement was tried first')
  t.ok(front.requests.some((r) => r.method === 'GET' && r.url.includes('/info/refs')), 'then discovery, which followed the redirect')
  front.requests.length = 0
  t.same(Object.fromEntries(await remote.listRefs('refs/heads/main')), { 'refs/heads/main': git(bare, 'rev-parse', 'main').trim() })
  t.same(front.requests, [], 'the moved base is kept')
})

t.test('a v2 server that answers badly: a typed, retryable malformed-response error, never a hang or a crash', async (t) => {
  const pkt = (s: string) => `${(s.length + 4).toString(16).padStart(4, '0')}${s}`
  const oid = 'a'.repeat(40)
  const answers: Record<string, string> = {
    'ls-refs': pkt(`${oid} refs/heads/main\n`), // no flush: cut short
    fetch: `${pkt('shallow-info\n')}${pkt('shallow not-an-id\n')}0001${pkt('packfile\n')}0000`,
  }
  const stub = http.createServer((req, res) => {
    if ((req.url ?? '').includes('/info/refs')) {
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-advertisement' }).end(`${pkt('version 2\n')}${pkt('ls-refs\n')}${pkt('fetch=shallow\n')}0000`)
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const command = commandOf(Buffer.concat(chunks))!
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result' }).end(answers[command] ?? '')
    })
  })
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => stub.close(() => r())))
  const dir = tmpDir(t)
  const remote = new HttpRemote({ url: `http://127.0.0.1:${(stub.address() as AddressInfo).port}/infra.git`, branch: 'main', clonesDir: path.join(dir, 'c') })
  t.teardown(() => remote.close())
  await remote.prepare()
  t.match(await remote.sync().catch((e) => e), { code: 'GIT_REMOTE', retryable: true, data: { reason: 'malformed' } }, 'ls-refs cut before its flush')
  answers['ls-refs'] = `${pkt(`${oid} refs/heads/main\n`)}0000`
  t.match(await remote.sync().catch((e) => e), { code: 'GIT_REMOTE', retryable: true, data: { reason: 'malformed' } }, 'a shallow-info line that is not one')
  t.equal(fs.existsSync(path.join(remote.gitdir, 'shallow')), false, 'no boundary written from a bad answer')
  t.same(fs.readdirSync(path.join(remote.gitdir, 'objects', 'pack')), [], 'no temporary pack left')
})
