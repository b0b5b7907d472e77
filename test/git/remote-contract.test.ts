import os from 'node:os'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { CliRemote } from '../../src/git/cli-remote.js'
import { HttpRemote } from '../../src/git/http-remote.js'
import { LocalRemote } from '../../src/git/local-remote.js'
import { startGitDaemon } from '../helpers/git-daemon.js'
import { startGitServer } from '../helpers/git-server.js'
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
