import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import t from 'tap'
import { HttpRemote } from '../../src/git/http-remote.js'
import { repoReadiness } from '../../src/worker/circuit.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { tmpDir } from '../helpers/tmp.js'
import { workerHarness } from '../helpers/worker-harness.js'

/** A dumb-HTTP git server: the bare repo's files as they are, after `git update-server-info`. */
async function startStaticServer(t: { teardown(fn: () => unknown): void }, bare: string): Promise<string> {
  git(bare, 'update-server-info')
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/^\/infra\.git\//, '')
    const file = path.join(bare, path.normalize(rel))
    if (!file.startsWith(bare) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'text/plain' }).end(fs.readFileSync(file))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/infra.git`
}

t.test('a dumb-HTTP server: a final error, after one attempt by the worker, named in readiness', async (t) => {
  const dir = tmpDir(t)
  const url = await startStaticServer(t, makeBareRepo(dir, { 'README.md': 'x\n' }))
  const direct = new HttpRemote({ url, branch: 'main', clonesDir: path.join(dir, 'd') })
  t.teardown(() => direct.close())
  await direct.prepare()
  const e = await direct.sync().catch((x) => x)
  t.match(e, { code: 'GIT_REMOTE', retryable: false, data: { reason: 'dumb-http' } })

  const h = await workerHarness(t, new HttpRemote({ url, branch: 'main', clonesDir: path.join(dir, 'w') }))
  await h.accept('1.2.3')
  await h.worker.runOnce()
  await h.worker.runOnce()
  await h.worker.runOnce()
  t.equal(h.calls.sync, 1, 'tried once, not again while nothing changed')
  t.same(h.circuit, [true], 'the circuit opened at once')
  const ready = repoReadiness(h.worker.repoHealth)
  t.equal(ready.ready, false)
  t.ok(ready.check.includes(e.message), 'readiness names the cause')
})

t.test('a SHA-256 repository: a final error, not an empty repository', async (t) => {
  const dir = tmpDir(t)
  const work = path.join(dir, 'work')
  git(dir, 'init', '-q', '--object-format=sha256', '-b', 'main', work)
  fs.writeFileSync(path.join(work, 'README.md'), 'x\n')
  git(work, 'add', '-A')
  git(work, 'commit', '-qm', 'seed')
  const bare = path.join(dir, 'infra.git')
  git(dir, 'clone', '-q', '--bare', work, bare)
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  const remote = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'c') })
  t.teardown(() => remote.close())
  await remote.prepare()
  t.match(await remote.sync().catch((x) => x), { code: 'GIT_REMOTE', retryable: false, data: { reason: 'sha256' } })

})

t.test('404, 403 and 401 are final, with their status', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'README.md': 'x\n' })
  const server = await startGitServer(bare, { token: 'right-token-0123456789' })
  t.teardown(() => server.close())
  const missing = new HttpRemote({ url: server.url.replace(/infra\.git$/, 'nope.git'), branch: 'main', clonesDir: path.join(dir, 'a'), token: 'right-token-0123456789' })
  t.teardown(() => missing.close())
  await missing.prepare()
  t.match(await missing.sync().catch((x) => x), { code: 'GIT_REMOTE', retryable: false, data: { status: 404 } })
  const wrong = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'b'), token: 'wrong-token-0123456789' })
  t.teardown(() => wrong.close())
  await wrong.prepare()
  t.match(await wrong.sync().catch((x) => x), { code: 'GIT_REMOTE', retryable: false, data: { status: 401 } })
  const forbidden = http.createServer((_req, res) => res.writeHead(403).end('Permission denied'))
  await new Promise<void>((r) => forbidden.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => forbidden.close(() => r())))
  const f = new HttpRemote({ url: `http://127.0.0.1:${(forbidden.address() as AddressInfo).port}/infra.git`, branch: 'main', clonesDir: path.join(dir, 'c') })
  t.teardown(() => f.close())
  await f.prepare()
  t.match(await f.sync().catch((x) => x), { code: 'GIT_REMOTE', retryable: false, data: { status: 403 } })
})
