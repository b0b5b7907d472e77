import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort, waitForPort } from './git-daemon.js'

export const SSHD = '/usr/sbin/sshd'

export interface Sshd {
  /** ssh://<user>@127.0.0.1:<port><absolute path> */
  url(absPath: string): string
  /** The client's private key and a known_hosts that trusts only this server. */
  readonly keyFile: string
  readonly knownHosts: string
  close(): Promise<void>
}

/**
 * Debian's OpenSSH server on a free loopback port, as the current user: a
 * generated host key and user key, logins only with that key. Everything
 * lives in `dir`.
 */
export async function startSshd(dir: string): Promise<Sshd> {
  const user = os.userInfo().username
  const hostKey = path.join(dir, 'host_ed25519')
  const keyFile = path.join(dir, 'id_ed25519')
  const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'infra-sync-test', '-f', file], { stdio: 'ignore' })
  keygen(hostKey)
  keygen(keyFile)
  const authorized = path.join(dir, 'authorized_keys')
  fs.copyFileSync(`${keyFile}.pub`, authorized)
  fs.chmodSync(authorized, 0o600)
  const home = path.join(dir, 'home')
  fs.mkdirSync(home, { recursive: true })
  const port = await freePort()
  const config = path.join(dir, 'sshd_config')
  fs.writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorized}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'StrictModes no',
      'UsePAM no',
      `PermitRootLogin ${user === 'root' ? 'prohibit-password' : 'no'}`,
      `AllowUsers ${user}`,
      // The login's own ~/.bashrc (sourced by bash for every ssh command) can take seconds on a developer's machine.
      `SetEnv HOME=${home}`,
      'LogLevel ERROR',
      '',
    ].join('\n'),
  )
  const knownHosts = path.join(dir, 'known_hosts')
  const hostPub = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')
  fs.writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostPub}\n`)
  // sshd needs its privilege-separation folder even when it runs unprivileged.
  fs.mkdirSync('/run/sshd', { recursive: true })
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  try {
    await Promise.race([waitForPort(port), exited.then(() => Promise.reject(new Error(`sshd exited: ${stderr}`)))])
  } catch (e) {
    child.kill()
    throw e
  }
  return {
    url: (absPath) => `ssh://${user}@127.0.0.1:${port}${absPath}`,
    keyFile,
    knownHosts,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill()
        await exited
      }
    },
  }
}
