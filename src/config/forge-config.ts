import { createPrivateKey } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { ConfigError } from '../core/errors.js'
import type { ForgeConfig, RepoConfig } from './config.js'

/** The forge's settings as found, env already laid over the file (each with the name it is reported by). */
export interface ForgeSettings {
  readonly forge?: Named<string>
  readonly apiUrl?: Named<string>
  readonly appId?: Named<string | number>
  /** INFRA_SYNC_GITHUB_APP_PRIVATE_KEY: the key itself (environment only). */
  readonly privateKey?: Named<string>
  readonly privateKeyFile?: Named<string>
  readonly installationId?: Named<string | number>
}

export interface Named<T> {
  readonly name: string
  readonly value: T
}

const PRIVATE_KEY_FILE_ENV = 'INFRA_SYNC_GITHUB_APP_PRIVATE_KEY_FILE'

function fail(message: string, data: Record<string, unknown>): never {
  throw new ConfigError(message, data)
}

/** The first setting given, env before file. */
export function pick<T>(...candidates: [string, T | undefined][]): Named<T> | undefined {
  for (const [name, value] of candidates) if (value !== undefined) return { name, value }
  return undefined
}

/**
 * Whether, and how, infra-sync opens pull requests. INFRA_SYNC_FORGE=github,
 * implied for a github.com repo; otherwise none, and pull-request targets are
 * skipped. A key or token never appears in a message or in an error's data.
 */
export function forgeConfig(s: ForgeSettings, repo: RepoConfig, cwd: string): ForgeConfig | undefined {
  const url = repo.kind === 'http' ? new URL(repo.location) : repo.kind === 'ssh' ? sshUrl(repo.location) : undefined
  const kind = forgeKind(s.forge, url)
  if (kind === undefined) {
    const stray = [s.apiUrl, s.appId, s.privateKey, s.privateKeyFile, s.installationId].find((x) => x !== undefined)
    if (stray) fail(`${stray.name} is set, but there is no forge: set INFRA_SYNC_FORGE=github (implied only for a github.com repo)`, { setting: stray.name, reason: 'forge-unset' })
    return undefined
  }
  // Over SSH, git needs no token: a forge is implied only when there are credentials for its API.
  if (s.forge === undefined && repo.kind === 'ssh' && !repo.token && s.appId === undefined) return undefined
  if (!url) fail(`${s.forge!.name}=github needs the infra repo as a URL on GitHub (https or SSH), not a local path`, { setting: s.forge!.name, reason: 'forge-local-repo' })
  const segments = url.pathname.replace(/\/+$/, '').replace(/\.git$/, '').split('/').filter(Boolean)
  if (segments.length !== 2 || !segments.every((x) => /^[A-Za-z0-9_.-]+$/.test(x))) {
    fail(`INFRA_SYNC_REPO: a GitHub repository URL has the path /owner/repo, not ${url.pathname}`, { setting: 'INFRA_SYNC_REPO', reason: 'forge-repo-path', repoPath: url.pathname })
  }
  const [owner, name] = segments as [string, string]
  return { kind, apiUrl: apiUrl(s.apiUrl, url), owner, repo: name, auth: auth(s, repo, url, cwd) }
}

function forgeKind(forge: Named<string> | undefined, url: URL | undefined): 'github' | undefined {
  if (forge === undefined) return url?.hostname.toLowerCase() === 'github.com' ? 'github' : undefined
  if (forge.value !== 'github') fail(`${forge.name} must be github (the one forge so far)`, { setting: forge.name, reason: 'forge-unknown' })
  return 'github'
}

function apiUrl(given: Named<string> | undefined, repo: URL): string {
  if (given === undefined) {
    if (repo.hostname.toLowerCase() === 'github.com') return 'https://api.github.com'
    // GitHub Enterprise Server serves its REST API beside its repositories.
    // Over SSH the API is still https, on the host without the SSH port.
    return repo.protocol === 'ssh:' ? `https://${repo.hostname}/api/v3` : `${repo.protocol}//${repo.host}/api/v3`
  }
  let u: URL | undefined
  try {
    u = new URL(given.value)
  } catch {
    u = undefined
  }
  if (!u || !/^https?:$/.test(u.protocol)) fail(`${given.name} must be an http(s) URL`, { setting: given.name, reason: 'api-url-invalid' })
  if (u.username || u.password || u.search || u.hash) fail(`${given.name} must be a plain URL, without credentials or a query`, { setting: given.name, reason: 'api-url-invalid' })
  return u.toString().replace(/\/+$/, '')
}

function auth(s: ForgeSettings, repo: RepoConfig, url: URL, cwd: string): ForgeConfig['auth'] {
  if (s.appId === undefined) {
    const stray = [s.privateKey, s.privateKeyFile, s.installationId].find((x) => x !== undefined)
    if (stray) fail(`${stray.name} is set, but INFRA_SYNC_GITHUB_APP_ID is not`, { setting: stray.name, reason: 'app-id-missing' })
    const token = repo.token ?? (url.password ? decodeURIComponent(url.password) : undefined)
    if (!token) {
      fail('pull requests on GitHub need credentials: a token (INFRA_SYNC_GIT_TOKEN) or a GitHub App (INFRA_SYNC_GITHUB_APP_ID and its private key)', {
        setting: 'INFRA_SYNC_GIT_TOKEN',
        reason: 'forge-credentials-missing',
      })
    }
    return { kind: 'token', token }
  }
  const appId = String(s.appId.value).trim()
  // An App's numeric id, or its client id (Iv1.…), which GitHub also accepts as the JWT issuer.
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(appId)) fail(`${s.appId.name} must be the App's id (a number) or its client id`, { setting: s.appId.name, reason: 'app-id-invalid' })
  return { kind: 'app', appId, privateKey: privateKey(s, cwd), ...(s.installationId && { installationId: installationId(s.installationId) }) }
}

function installationId(s: Named<string | number>): number {
  const text = String(s.value).trim()
  const n = Number(text)
  if (!/^[1-9][0-9]*$/.test(text) || !Number.isSafeInteger(n)) fail(`${s.name} must be a positive whole number`, { setting: s.name, reason: 'installation-id-invalid' })
  return n
}

function privateKey(s: ForgeSettings, cwd: string): string {
  // The key in the environment wins over a key file named in the config file, as env wins everywhere; both in the environment is a mistake.
  if (s.privateKey && s.privateKeyFile?.name === PRIVATE_KEY_FILE_ENV) {
    fail(`set one of INFRA_SYNC_GITHUB_APP_PRIVATE_KEY and ${s.privateKeyFile.name}, not both`, { setting: s.privateKeyFile.name, reason: 'private-key-twice' })
  }
  if (s.privateKey) return pem(s.privateKey.name, s.privateKey.value)
  if (!s.privateKeyFile) {
    fail('a GitHub App needs its private key: set INFRA_SYNC_GITHUB_APP_PRIVATE_KEY_FILE (or INFRA_SYNC_GITHUB_APP_PRIVATE_KEY)', {
      setting: PRIVATE_KEY_FILE_ENV,
      reason: 'private-key-missing',
    })
  }
  if (s.privateKeyFile.value.trim() === '') fail(`${s.privateKeyFile.name} is set but empty`, { setting: s.privateKeyFile.name, reason: 'empty' })
  const file = path.resolve(cwd, s.privateKeyFile.value)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (e) {
    fail(`${s.privateKeyFile.name}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { setting: s.privateKeyFile.name, path: file, reason: 'private-key-unreadable' })
  }
  return pem(s.privateKeyFile.name, text)
}

/** The key as PEM text, checked to parse as an RSA private key (GitHub signs App JWTs with RS256); never echoed. */
function pem(setting: string, value: string): string {
  // A key pasted into an env file often has its line breaks written as \n.
  const text = (value.includes('\n') ? value : value.replace(/\\n/g, '\n')).replace(/\r\n/g, '\n').trim()
  const refuse = (why: string): never => fail(`${setting} ${why}`, { setting, reason: 'private-key-invalid' })
  if (text === '') refuse('is empty')
  if (!/^-----BEGIN (RSA )?PRIVATE KEY-----\n[\s\S]+\n-----END (RSA )?PRIVATE KEY-----$/.test(text)) refuse('is not a PEM private key (-----BEGIN RSA PRIVATE KEY----- … as GitHub gives it)')
  let type: string | undefined
  try {
    type = createPrivateKey(text).asymmetricKeyType
  } catch {
    refuse('does not parse as a private key')
  }
  if (type !== 'rsa') refuse('is not an RSA key (GitHub App keys are RSA)')
  return `${text}\n`
}

/** An SSH location as a URL: `ssh://git@host/acme/infra.git` as it is, `git@host:acme/infra.git` (scp-like) rewritten. */
export function sshUrl(location: string): URL | undefined {
  try {
    if (/^ssh:\/\//i.test(location)) return new URL(location)
    const m = /^(?:([^@/]+)@)?([^:/]+):(.+)$/.exec(location)
    return m ? new URL(`ssh://${m[1] ? `${m[1]}@` : ''}${m[2]}/${m[3]!.replace(/^\/+/, '')}`) : undefined
  } catch {
    return undefined
  }
}
