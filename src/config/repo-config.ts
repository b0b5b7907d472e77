import path from 'node:path'
import { ConfigError } from '../core/errors.js'
import type { RepoConfig } from './config.js'
import { forgeConfig, pick, sshUrl, type ForgeSettings } from './forge-config.js'

export interface Transport {
  readonly transport: 'builtin' | 'cli'
  readonly ssh: { keyFile?: string; knownHosts?: string }
}

/** One `repos:` entry as CONFIG_SCHEMA guarantees it. */
export interface RepoEntry {
  readonly name?: string
  readonly url: string
  readonly branch?: string
  readonly tokenEnv?: string
  readonly forge?: string
  readonly transport?: 'builtin' | 'cli'
}

export const BRANCH = /^(?!\/|.*\/\/|.*\.\.|.*\/$|.*\.lock$)[A-Za-z0-9._/-]{1,200}$/

function fail(message: string, data: Record<string, unknown> = {}): never {
  throw new ConfigError(message, data)
}

/** Where the repo is and how it is reached; `setting` names the setting in errors. */
export function repoConfig(location: string, branch: string, token: string | undefined, username: string | undefined, tr: Transport, setting = 'INFRA_SYNC_REPO'): RepoConfig {
  const ssh = Object.keys(tr.ssh).length > 0 ? { ssh: tr.ssh } : {}
  if (/^https?:\/\//.test(location)) {
    try {
      new URL(location)
    } catch {
      fail('the infra repo URL is not a valid URL', { setting })
    }
    return { location, kind: 'http', branch, transport: tr.transport, ...ssh, ...(token && { token }), ...(username && { username }) }
  }
  // SSH is served by the git binary, which brings keys, known_hosts and ssh's own configuration.
  if (/^ssh:\/\//i.test(location) || (/^[^/:]+@[^/:]+:/.test(location) && !location.includes('://'))) {
    return { location, kind: 'ssh', branch, transport: 'cli', ...ssh, ...(token && { token }) }
  }
  if (/^[a-z]+:\/\//i.test(location)) {
    fail('the infra repo must be an http(s) or SSH URL, or a local path (git:// and file:// are not supported)', { setting })
  }
  return { location, kind: 'local', branch }
}

/** acme-infra from …/acme/infra.git (any host, https or SSH), or the folder's name for a local path; with -<branch> off main. */
export function defaultRepoName(location: string, branch: string): string {
  let p: string
  try {
    p = /^https?:\/\//.test(location) ? new URL(location).pathname : (sshUrl(location)?.pathname ?? location)
  } catch {
    p = location
  }
  const parts = p.replace(/\/+$/, '').replace(/\.git$/, '').split('/').filter(Boolean).slice(-2)
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  const base = slug(parts.join('-')) || 'repo'
  return `${base}${branch === 'main' ? '' : `-${slug(branch)}`}`.slice(0, 40).replace(/-+$/, '')
}

/**
 * The repos of `repos:`: each resolved as INFRA_SYNC_REPO would be, with its
 * token from its own variable, its forge from its URL (or `forge`), and a
 * unique name. The forge's App settings are shared by all.
 */
export function reposFromFile(entries: readonly RepoEntry[], dflt: { branch: string; transport: Transport; forge: ForgeSettings }, env: Readonly<Record<string, string | undefined>>, cwd: string): RepoConfig[] {
  const names = new Set<string>()
  const places = new Set<string>()
  return entries.map((e, i) => {
    const at = `repos[${i}]`
    const branch = e.branch ?? dflt.branch
    if (!BRANCH.test(branch)) fail(`${at}.branch ${JSON.stringify(branch)} is not a valid branch name`, { path: `${at}.branch` })
    let token: string | undefined
    if (e.tokenEnv !== undefined) {
      token = env[e.tokenEnv]
      if (!token) fail(`${at}.tokenEnv names ${e.tokenEnv}, which is unset or empty`, { path: `${at}.tokenEnv`, env: e.tokenEnv })
    }
    const tr = { ...dflt.transport, ...(e.transport && { transport: e.transport }) }
    const repo = repoConfig(e.url, branch, token, undefined, tr, `${at}.url`)
    const located = repo.kind === 'local' ? { ...repo, location: path.resolve(cwd, repo.location) } : repo
    const name = e.name ?? defaultRepoName(e.url, branch)
    if (names.has(name)) fail(`${at}: two repos are named ${name}; give one a name of its own`, { path: `${at}.name`, name })
    const place = `${located.location}#${branch}`
    if (places.has(place)) fail(`${at}: the same repo and branch are listed twice`, { path: `${at}.url` })
    names.add(name)
    places.add(place)
    const settings = { ...dflt.forge, ...(e.forge !== undefined ? { forge: pick([`${at}.forge`, e.forge])! } : {}) }
    const forge = repo.kind === 'local' ? undefined : forgeConfig(settings, located, cwd)
    return { ...located, name, ...(forge && { forge }) }
  })
}
