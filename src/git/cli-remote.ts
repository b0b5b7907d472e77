import { execFile } from 'node:child_process'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { GitRemoteError, InfraSyncError, PushRefusedError, PushRejectedError } from '../core/errors.js'
import type { CredentialsProvider, GitCredentials } from '../forges/forge.js'
import { redactUrl } from './http-client.js'
import { cloneName } from './http-remote.js'
import { ObjectStore } from './object-store.js'
import { isLeaseFailure, remoteLines } from './push-report.js'
import { assertBranchRef, assertRefPrefix } from './ref-name.js'
import type { Remote } from './remote.js'
import type { WrittenCommit } from './write-commit.js'

export interface CliRemoteOptions {
  /** Any URL git takes: ssh://, user@host:path, https://, git://, a path. */
  readonly url: string
  readonly branch: string
  /** Folder that holds local clones. */
  readonly clonesDir: string
  /** For http(s): a fixed token (`credentials` wins when both are set). */
  readonly token?: string
  readonly username?: string
  readonly credentials?: CredentialsProvider
  readonly ssh?: { readonly keyFile?: string; readonly knownHosts?: string }
  /** Longest single git command before it is killed. */
  readonly timeoutMs?: number
}

/** The scp-like form git takes for SSH: [user@]host:path, no scheme. */
const SCP_LIKE = /^(?:[^@/:]+@)?[^/:]+:(?!\/\/)/

/** A URL form of `url` to name the clone by (cloneName wants a URL). */
function namingUrl(url: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url
  if (SCP_LIKE.test(url)) {
    const i = url.indexOf(':')
    return `ssh://${url.slice(0, i)}/${url.slice(i + 1).replace(/^\/+/, '')}`
  }
  return `file://${path.resolve(url)}`
}

/** Removes credentials a URL may carry (`://user:secret@`) from text git printed. */
function scrubUrls(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1')
}

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * An infra repo reached with the `git` binary: a real bare repository under
 * the data folder that git fetches into and pushes from, read and written by
 * infra-sync through the same ObjectStore as HttpRemote. It serves what the
 * built-in client does not speak (SSH, credential helpers, every option git
 * has). Every branch move is a `--force-with-lease` on the value expected.
 */
export class CliRemote implements Remote {
  readonly gitdir: string
  readonly branch: string
  readonly description: string
  readonly objects: ObjectStore
  private readonly url: string
  private readonly fixedCredentials: GitCredentials | undefined
  private readonly credentials: CredentialsProvider | undefined
  private readonly ssh: CliRemoteOptions['ssh']
  private readonly timeoutMs: number

  constructor(opts: CliRemoteOptions) {
    let url = opts.url
    let username = opts.username
    let token = opts.token
    if (/^https?:\/\//i.test(url)) {
      const u = new URL(url)
      // Credentials in the URL are honoured but moved out of it: the URL is kept in the clone's config and shown in errors.
      username ??= decodeURIComponent(u.username) || undefined
      token ??= decodeURIComponent(u.password) || undefined
      u.username = ''
      u.password = ''
      url = u.toString().replace(/\/+$/, '')
    }
    this.url = url
    this.branch = opts.branch
    this.description = SCP_LIKE.test(url) && !url.includes('://') ? url : redactUrl(namingUrl(url))
    this.gitdir = path.join(opts.clonesDir, cloneName(namingUrl(url)))
    this.objects = new ObjectStore(this.gitdir)
    this.fixedCredentials = token ? { username: username ?? 'x-access-token', password: token } : undefined
    this.credentials = opts.credentials
    this.ssh = opts.ssh
    this.timeoutMs = opts.timeoutMs ?? 300_000
  }

  private async currentCredentials(): Promise<GitCredentials | null> {
    if (!this.credentials) return this.fixedCredentials ?? null
    try {
      return await this.credentials()
    } catch (e) {
      const retryable = e instanceof InfraSyncError ? e.retryable : true
      throw new GitRemoteError(`no credentials for ${this.description}`, { cause: e instanceof InfraSyncError ? e.code : 'ERROR' }, { retryable, cause: e })
    }
  }

  /** git's environment: never a prompt, our SSH key and known_hosts, the token as a header git reads from the environment. */
  private env(creds: GitCredentials | null): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' }
    const { keyFile, knownHosts } = this.ssh ?? {}
    if (keyFile || knownHosts || (!env.GIT_SSH_COMMAND && !env.GIT_SSH)) {
      const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
      env.GIT_SSH_COMMAND = [
        'ssh',
        ...(keyFile ? ['-i', q(keyFile), '-o', 'IdentitiesOnly=yes'] : []),
        ...(knownHosts ? ['-o', `UserKnownHostsFile=${q(knownHosts)}`, '-o', 'StrictHostKeyChecking=yes'] : []),
        '-o',
        'BatchMode=yes',
      ].join(' ')
    }
    // Settings that keep the clone as infra-sync reads it: no automatic repacking under its open packs.
    const config: [string, string][] = [
      ['gc.auto', '0'],
      ['maintenance.auto', 'false'],
      ['push.useForceIfIncludes', 'false'],
    ]
    // The token goes through the environment, never the command line (visible in ps) nor a file.
    if (creds) config.push(['http.extraHeader', `Authorization: Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`])
    let n = Number(env.GIT_CONFIG_COUNT ?? 0) || 0
    for (const [k, v] of config) {
      env[`GIT_CONFIG_KEY_${n}`] = k
      env[`GIT_CONFIG_VALUE_${n}`] = v
      n++
    }
    env.GIT_CONFIG_COUNT = String(n)
    return env
  }

  private secretsOf(creds: GitCredentials | null): string[] {
    if (!creds) return []
    return [creds.password, Buffer.from(`${creds.username}:${creds.password}`).toString('base64')].filter((s) => s.length >= 4)
  }

  private exec(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
    return new Promise((resolve) => {
      execFile('git', ['--git-dir', this.gitdir, ...args], { env, encoding: 'utf8', timeout: this.timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null
        const code = e ? (typeof e.code === 'number' ? e.code : -1) : 0
        resolve({ code, stdout, stderr: e && code === -1 ? `${stderr}\n${e.killed ? 'timed out' : String(e.code)}` : stderr })
      })
    })
  }

  /**
   * One git command with the credentials of the moment. With a provider, a
   * refused authentication is asked again once (a token may have expired in
   * between; the server refused before doing anything, so repeating is safe).
   */
  private async git(args: readonly string[]): Promise<Run & { secrets: string[] }> {
    let creds = await this.currentCredentials()
    let run = await this.exec(args, this.env(creds))
    // git has no exit code for a 401; its message is the only signal, and only for asking the provider again.
    if (run.code !== 0 && this.credentials && /Authentication failed|could not read (Username|Password)|returned error: 401/.test(run.stderr)) {
      creds = await this.currentCredentials()
      run = await this.exec(args, this.env(creds))
    }
    return { ...run, secrets: this.secretsOf(creds) }
  }

  private failure(what: string, run: { stderr: string; secrets: string[] }, retryable = true): GitRemoteError {
    let stderr = scrubUrls(run.stderr)
    for (const s of run.secrets) stderr = stderr.split(s).join('[redacted]')
    stderr = stderr.trim().slice(-2048)
    const last = stderr.split('\n').filter(Boolean).pop() ?? ''
    return new GitRemoteError(`${what} ${this.description} failed: ${last.slice(0, 300)}`, { stderr }, { retryable })
  }

  async prepare(): Promise<void> {
    await fsp.mkdir(this.gitdir, { recursive: true })
    const env = this.env(null)
    if (!fs.existsSync(path.join(this.gitdir, 'HEAD'))) {
      const init = await this.exec(['init', '--bare', '-q', `--initial-branch=${this.branch}`], env)
      if (init.code !== 0) throw this.failure('git init for', { ...init, secrets: [] }, false)
    }
    const set = await this.exec(['config', 'remote.origin.url', this.url], env)
    if (set.code !== 0) throw this.failure('git config for', { ...set, secrets: [] }, false)
  }

  private trackingRef(): string {
    return `refs/remotes/origin/${this.branch}`
  }

  async sync(): Promise<string | null> {
    // The first fetch brings the tip only (the walkers deepen when they need more); later ones are incremental.
    const first = (await this.readTracking()) === null ? ['--depth=1'] : []
    const run = await this.git(['fetch', '--no-tags', '--no-write-fetch-head', '-q', ...first, 'origin', `+refs/heads/${this.branch}:${this.trackingRef()}`])
    if (run.code !== 0) {
      // An empty repository, or one without the branch yet: infra-sync creates it.
      if (/couldn't find remote ref/i.test(run.stderr)) return null
      throw this.failure('fetch from', run)
    }
    this.objects.refreshPacks()
    const head = await this.readTracking()
    if (!head || !(await this.objects.has(head))) throw new GitRemoteError(`fetch from ${this.description}: the branch head is missing after the fetch`, {})
    return head
  }

  private async readTracking(): Promise<string | null> {
    // fetch writes the ref loose (nothing here packs refs); git itself is asked only if it is not.
    const loose = await fsp.readFile(path.join(this.gitdir, ...this.trackingRef().split('/')), 'utf8').catch(() => '')
    if (/^[0-9a-f]{40}\n?$/.test(loose)) return loose.trim()
    const run = await this.exec(['rev-parse', '--verify', '-q', this.trackingRef()], this.env(null))
    const oid = run.stdout.trim()
    return run.code === 0 && /^[0-9a-f]{40}$/.test(oid) ? oid : null
  }

  private async setTracking(oid: string): Promise<void> {
    const file = path.join(this.gitdir, ...this.trackingRef().split('/'))
    await fsp.mkdir(path.dirname(file), { recursive: true })
    await fsp.writeFile(`${file}.tmp`, `${oid}\n`)
    await fsp.rename(`${file}.tmp`, file)
  }

  async push(base: string | null, commit: WrittenCommit): Promise<void> {
    await this.send(`refs/heads/${this.branch}`, base, commit)
    await this.setTracking(commit.oid)
  }

  async pushRef(ref: string, expected: string | null, commit: WrittenCommit): Promise<void> {
    await this.send(assertBranchRef(ref), expected, commit)
  }

  async listRefs(prefix: string): Promise<Map<string, string>> {
    assertRefPrefix(prefix)
    const run = await this.git(['ls-remote', 'origin', `${prefix}*`])
    if (run.code !== 0) throw this.failure('ls-remote of', run)
    const out = new Map<string, string>()
    for (const line of run.stdout.split('\n')) {
      const m = /^([0-9a-f]{40})\t(\S+)$/.exec(line)
      if (m && m[2]!.startsWith(prefix) && !m[2]!.endsWith('^{}')) out.set(m[2]!, m[1]!)
    }
    return out
  }

  /** One `git push` of the commit to `ref`, leased on `expected` (empty: the ref must not exist). */
  private async send(ref: string, expected: string | null, commit: WrittenCommit): Promise<void> {
    // git pushes from its object database: the commit's objects go to disk first.
    await this.objects.flush(commit.objects)
    const run = await this.git(['push', '--porcelain', '--no-verify', `--force-with-lease=${ref}:${expected ?? ''}`, 'origin', `${commit.oid}:${ref}`])
    // Porcelain: one `<flag>\t<from>:<to>\t<summary> (<reason>)` line per ref.
    const line = run.stdout.split('\n').find((l) => l.split('\t')[1]?.endsWith(`:${ref}`))
    if (!line) throw this.failure(`push to ${ref} of`, run)
    const flag = line[0]
    if (flag === ' ' || flag === '+' || flag === '*' || flag === '=') {
      if (run.code === 0 || flag === '=') return
    }
    const summary = line.split('\t')[2] ?? ''
    const reason = (/\((.*)\)\s*$/.exec(summary)?.[1] ?? summary).slice(0, 200)
    if (summary.startsWith('[remote failure]') || flag !== '!') throw this.failure(`push to ${ref} of`, run)
    if (isLeaseFailure(reason)) throw new PushRejectedError(`push to ${ref} rejected: ${reason}`, { ref, reason })
    const said = remoteLines(
      run.stderr
        .split('\n')
        .filter((l) => l.startsWith('remote:'))
        .map((l) => l.slice('remote:'.length))
        .join('\n'),
      run.secrets,
    )
    const full = (said.length > 0 ? `${reason} (remote: ${said.join(' | ')})` : reason).slice(0, 1000)
    throw new PushRefusedError(`push to ${ref} refused: ${full}`, { ref, reason: full })
  }

  /**
   * `git fetch --deepen`: counted from the boundary. No destination ref, so
   * the tracking ref stays where sync() left it. False once git removed the
   * shallow file (the history is complete).
   */
  async deepen(commits: number): Promise<boolean> {
    if (!fs.existsSync(path.join(this.gitdir, 'shallow'))) return false
    const n = Math.max(1, Math.floor(commits))
    const run = await this.git(['fetch', '--no-tags', '--no-write-fetch-head', '-q', `--deepen=${n}`, 'origin', `refs/heads/${this.branch}`])
    if (run.code !== 0) throw this.failure('deepening the clone of', run)
    this.objects.refreshPacks()
    return true
  }

  async close(): Promise<void> {}
}
