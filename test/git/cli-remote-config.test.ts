import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { CliRemote } from '../../src/git/cli-remote.js'
import { HttpRemote } from '../../src/git/http-remote.js'
import { openRemote } from '../../src/git/open-remote.js'
import { tmpDir } from '../helpers/tmp.js'

const HOST_MACHINE = { INFRA_SYNC_IN_CONTAINER: 'false' }

t.test('SSH URLs are taken and served by the git binary, with the key and known_hosts given', async (t) => {
  const dir = tmpDir(t)
  for (const url of ['ssh://git@github.com/acme/infra.git', 'git@github.com:acme/infra.git']) {
    const c = loadConfig({ ...HOST_MACHINE, INFRA_SYNC_REPO: url, INFRA_SYNC_SSH_KEY_FILE: 'keys/id_ed25519', INFRA_SYNC_SSH_KNOWN_HOSTS: '/etc/infra/known_hosts' }, dir)
    t.equal(c.repo.kind, 'ssh')
    t.equal(c.repo.transport, 'cli')
    t.same(c.repo.ssh, { keyFile: path.join(dir, 'keys/id_ed25519'), knownHosts: '/etc/infra/known_hosts' })
    const remote = openRemote(c.repo, c.dataDir)
    t.type(remote, CliRemote)
    t.equal(path.dirname(remote.gitdir), path.join(c.dataDir, 'repos'))
  }
})

t.test('http(s): the built-in client by default, the git binary when asked (env or config file)', async (t) => {
  const dir = tmpDir(t)
  const url = 'https://git.example/acme/infra.git'
  const builtin = loadConfig({ ...HOST_MACHINE, INFRA_SYNC_REPO: url }, dir)
  t.equal(builtin.repo.transport, 'builtin')
  t.type(openRemote(builtin.repo, builtin.dataDir), HttpRemote)
  const cli = loadConfig({ ...HOST_MACHINE, INFRA_SYNC_REPO: url, INFRA_SYNC_GIT_TRANSPORT: 'cli' }, dir)
  t.type(openRemote(cli.repo, cli.dataDir), CliRemote)

  fs.writeFileSync(path.join(dir, 'infra-sync.config.yaml'), `repo: ${url}\ngitTransport: cli\nsshKeyFile: /k\nsshKnownHosts: /kh\n`)
  const file = loadConfig(HOST_MACHINE, dir)
  t.equal(file.repo.transport, 'cli')
  t.same(file.repo.ssh, { keyFile: '/k', knownHosts: '/kh' })
  t.equal(loadConfig({ ...HOST_MACHINE, INFRA_SYNC_GIT_TRANSPORT: 'builtin' }, dir).repo.transport, 'builtin', 'env wins')

  fs.writeFileSync(path.join(dir, 'infra-sync.config.yaml'), `repo: ${url}\ngitTransport: ssh\n`)
  t.throws(() => loadConfig(HOST_MACHINE, dir), { code: 'CONFIG_INVALID' })
})
