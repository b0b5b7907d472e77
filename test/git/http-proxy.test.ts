import path from 'node:path'
import t from 'tap'
import { GitHttpClient } from '../../src/git/http-client.js'
import { HttpRemote } from '../../src/git/http-remote.js'
import { bypassesProxy, connectTunnel, proxyFor } from '../../src/git/http-proxy.js'
import { writeCommit } from '../../src/git/write-commit.js'
import { startConnectProxy } from '../helpers/connect-proxy.js'
import { startHttpsFront } from '../helpers/https-front.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { tmpDir } from '../helpers/tmp.js'

const author = { name: 'infra-sync', email: 'infra-sync@localhost' }

async function rig(t: { teardown(fn: () => unknown): void }) {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'README.md': 'x\n' })
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  const proxy = await startConnectProxy()
  t.teardown(() => proxy.close())
  return { dir, bare, server, proxy }
}

async function syncAndPush(remote: HttpRemote, bare: string) {
  await remote.prepare()
  const head = (await remote.sync())!
  const c = await writeCommit(remote.objects, { parent: head, files: new Map([['README.md', Buffer.from(`${Date.now()}\n`)]]), message: 'deploy\n', author, when: new Date() })
  await remote.push(head, c)
  return { head, pushed: git(bare, 'rev-parse', 'main').trim() === c.oid }
}

t.test('HTTP_PROXY carries sync and push; its credentials go to the proxy only', async (t) => {
  const { dir, bare, server, proxy } = await rig(t)
  const u = new URL(proxy.url)
  u.username = 'proxyuser'
  u.password = 'proxy-secret-pw'
  const remote = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'c'), env: { HTTP_PROXY: u.toString() } })
  t.teardown(() => remote.close())
  const r = await syncAndPush(remote, bare)
  t.ok(r.pushed)
  t.ok(proxy.carried.requests > 0, 'the proxy carried the requests')
  t.ok(proxy.authorizations.length > 0 && proxy.authorizations.every((a) => a === `Basic ${Buffer.from('proxyuser:proxy-secret-pw').toString('base64')}`))
  t.notOk(server.requests.some((q) => q.authorization), 'the proxy credentials never reach the server')
})

t.test('NO_PROXY exempts the host: no request goes through the proxy', async (t) => {
  const { dir, bare, server, proxy } = await rig(t)
  const remote = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'c'), env: { http_proxy: proxy.url, NO_PROXY: 'example.com,127.0.0.1' } })
  t.teardown(() => remote.close())
  t.ok((await syncAndPush(remote, bare)).pushed)
  t.equal(proxy.carried.requests + proxy.carried.tunnels, 0)
})

t.test('HTTPS_PROXY is for https URLs only: an http remote goes direct', async (t) => {
  const { dir, bare, server, proxy } = await rig(t)
  const remote = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'c'), env: { HTTPS_PROXY: proxy.url } })
  t.teardown(() => remote.close())
  t.ok((await syncAndPush(remote, bare)).pushed)
  t.equal(proxy.carried.requests + proxy.carried.tunnels, 0)
})

t.test('HTTPS_PROXY: sync and push of an https remote go through CONNECT tunnels, TLS end to end', async (t) => {
  const { dir, bare, server, proxy } = await rig(t)
  const front = await startHttpsFront(t, new URL(server.url).origin)
  const client = new GitHttpClient({ env: { HTTPS_PROXY: proxy.url, HTTP_PROXY: 'http://127.0.0.1:9' }, ca: front.ca })
  t.teardown(() => client.close())
  const remote = new HttpRemote({ url: `${front.origin}${new URL(server.url).pathname}`, branch: 'main', clonesDir: path.join(dir, 'c'), client })
  t.teardown(() => remote.close())
  t.ok((await syncAndPush(remote, bare)).pushed)
  t.ok(proxy.carried.tunnels > 0, 'the proxy carried tunnels')
  t.equal(proxy.carried.requests, 0, 'no plain request went through it')

  // Without the CA the certificate is not trusted: an error, the tunnel does not make TLS optional.
  const untrusting = new GitHttpClient({ env: { HTTPS_PROXY: proxy.url } })
  t.teardown(() => untrusting.close())
  const r2 = new HttpRemote({ url: `${front.origin}${new URL(server.url).pathname}`, branch: 'main', clonesDir: path.join(dir, 'c2'), client: untrusting })
  t.teardown(() => r2.close())
  await r2.prepare()
  t.match(await r2.sync().catch((e) => e), { code: 'GIT_REMOTE', data: { cause: 'DEPTH_ZERO_SELF_SIGNED_CERT' } })
})

t.test('a CONNECT tunnel reaches the target host through the proxy', async (t) => {
  const { server, proxy } = await rig(t)
  const target = new URL(server.url)
  const p = proxyFor(new URL(`https://127.0.0.1:${target.port}/`), { HTTPS_PROXY: proxy.url })!
  const socket = await connectTunnel(p, new URL(`https://127.0.0.1:${target.port}/`), AbortSignal.timeout(30_000), 30_000)
  t.equal(proxy.carried.tunnels, 1)
  // The tunnel is a plain byte pipe: speak HTTP to the git server through it.
  const answer = await new Promise<string>((resolve) => {
    let text = ''
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1')
      if (text.includes('\r\n')) resolve(text)
    })
    socket.write(`GET ${target.pathname}/info/refs?service=git-upload-pack HTTP/1.1\r\nhost: ${target.host}\r\nconnection: close\r\n\r\n`)
  })
  socket.destroy()
  t.match(answer, /^HTTP\/1\.1 200/)
})

t.test('NO_PROXY rules', async (t) => {
  const u = (s: string) => new URL(s)
  t.equal(bypassesProxy(u('https://git.corp.example/x'), '*'), true)
  t.equal(bypassesProxy(u('https://git.corp.example/x'), '.example'), true)
  t.equal(bypassesProxy(u('https://git.corp.example/x'), 'corp.example'), true)
  t.equal(bypassesProxy(u('https://notcorp.example/x'), 'corp.example'), false)
  t.equal(bypassesProxy(u('https://git.corp.example/x'), 'git.corp.example:8443'), false)
  t.equal(bypassesProxy(u('https://git.corp.example:8443/x'), 'git.corp.example:8443'), true)
  t.equal(bypassesProxy(u('http://127.0.0.1:9/x'), ''), false, 'loopback is not exempt by itself')
  t.equal(bypassesProxy(u('http://[::1]:9/x'), 'foo, ::1'), true)
  t.equal(proxyFor(u('http://h/x'), { HTTPS_PROXY: 'http://p:1' }), undefined)
  t.equal(proxyFor(u('https://h/x'), { https_proxy: 'p:3128' })?.url.host, 'p:3128')
  t.throws(() => proxyFor(u('https://h/x'), { HTTPS_PROXY: 'socks5://p:1' }), { code: 'GIT_REMOTE' })
})
