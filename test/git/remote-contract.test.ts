import os from 'node:os'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { CliRemote } from '../../src/git/cli-remote.js'
import { GitHttpClient } from '../../src/git/http-client.js'
import { HttpRemote } from '../../src/git/http-remote.js'
import { LocalRemote } from '../../src/git/local-remote.js'
import { startConnectProxy } from '../helpers/connect-proxy.js'
import { startGitDaemon } from '../helpers/git-daemon.js'
import { startGitServer } from '../helpers/git-server.js'
import { PROXIED_HOST, startHttpsFront } from '../helpers/https-front.js'
import { startRedirectServer } from '../helpers/redirect-server.js'
import { startSshd } from '../helpers/sshd.js'
import { remoteContract } from './remote-contract.js'

// One git daemon and one sshd for the whole file, serving every test's repository (all under the temp folder).
const root = fs.realpathSync(os.tmpdir())
const daemon = await startGitDaemon(root)
t.teardown(() => daemon.close())
const sshDir = fs.mkdtempSync(path.join(root, 'infra-sync-sshd-'))
const sshd = await startSshd(sshDir)
t.teardown(async () => {
  await sshd.close()
  fs.rmSync(sshDir, { recursive: true, force: true })
})

remoteContract(t, 'HttpRemote over git http-backend', async (t, bare, dir) => {
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  return new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'clones') })
}, { hooks: true })

// A server that ignores Git-Protocol (older git, some proxies): the built-in client falls back to v0, full clones.
remoteContract(t, 'HttpRemote over git http-backend, protocol v0', async (t, bare, dir) => {
  const server = await startGitServer(bare, { protocol: 0 })
  t.teardown(() => server.close())
  return new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'clones') })
}, { hooks: true })

// A renamed repository: info/refs at the old path answers 301, and every later request goes to the new one.
remoteContract(t, 'HttpRemote behind a redirect', async (t, bare, dir) => {
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  const name = path.basename(bare)
  const front = await startRedirectServer(new URL(server.url).origin, (p) => (p.startsWith(`/old/${name}/info/refs`) ? p.replace(`/old/${name}/`, `/${name}/`) : undefined))
  t.teardown(() => front.close())
  return new HttpRemote({ url: `${front.origin}/old/${name}`, branch: 'main', clonesDir: path.join(dir, 'clones') })
}, { hooks: true })

// https through a CONNECT proxy the test runs, TLS end to end. The server's name resolves nowhere but in the
// proxy, so every exchange that works went through it.
remoteContract(t, 'HttpRemote through an HTTPS_PROXY (CONNECT)', async (t, bare, dir) => {
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  const front = await startHttpsFront(t, new URL(server.url).origin)
  const proxy = await startConnectProxy({ hosts: { [PROXIED_HOST]: '127.0.0.1' } })
  t.teardown(() => proxy.close())
  const client = new GitHttpClient({ env: { HTTPS_PROXY: proxy.url }, ca: front.ca })
  t.teardown(() => client.close())
  const url = new URL(`${front.origin}${new URL(server.url).pathname}`)
  url.hostname = PROXIED_HOST
  return new HttpRemote({ url: url.toString(), branch: 'main', clonesDir: path.join(dir, 'clones'), client })
}, { hooks: true })

remoteContract(t, 'LocalRemote', async (_t, bare) => new LocalRemote(bare, 'main'), { hooks: false })

remoteContract(t, 'CliRemote over http', async (t, bare, dir) => {
  const server = await startGitServer(bare)
  t.teardown(() => server.close())
  return new CliRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'clones') })
}, { hooks: true })

remoteContract(t, 'CliRemote over git daemon', async (_t, bare, dir) => new CliRemote({ url: daemon.url(fs.realpathSync(bare)), branch: 'main', clonesDir: path.join(dir, 'clones') }), {
  hooks: true,
})

remoteContract(
  t,
  'CliRemote over ssh',
  async (_t, bare, dir) =>
    new CliRemote({ url: sshd.url(fs.realpathSync(bare)), branch: 'main', clonesDir: path.join(dir, 'clones'), ssh: { keyFile: sshd.keyFile, knownHosts: sshd.knownHosts } }),
  { hooks: true },
)
