import fs from 'node:fs'
import path from 'node:path'
import { load } from 'js-yaml'
import { ConfigError } from '../core/errors.js'
import { describeProblems, schemaCheck } from '../core/schema-check.js'
import { checkPostgresUrl } from '../store/postgres-url.js'
import { CONFIG_SCHEMA } from './config-schema.js'
import type { Config, RepoConfig, WorkerSettings } from './config.js'
import { detectContainer } from './container.js'
import { forgeConfig, pick } from './forge-config.js'
import { BRANCH, repoConfig, reposFromFile, type RepoEntry } from './repo-config.js'
import { notificationTargets, type TargetEntry } from '../notifications/targets.js'
import { checkSecret, emergencySources, notEmpty, resolveSecrets, sourceReports, type SourceEntry } from './source-secrets.js'
import { parseWindows, type WindowConfig } from '../windows/deploy-windows.js'
import { InfraSyncError } from '../core/errors.js'
import { argocdConfig, type ArgoCdFileEntry } from './argocd-config.js'

export const DEFAULT_CONFIG_FILE = 'infra-sync.config.yaml'
export { DEV_SECRET_FILE } from './source-secrets.js'

type Env = Record<string, string | undefined>

/** The config file's shape, as CONFIG_SCHEMA guarantees it. */
interface ConfigFile {
  port?: number
  host?: string
  data?: string
  repo?: string
  repos?: RepoEntry[]
  branch?: string
  gitToken?: string
  gitUsername?: string
  gitTransport?: 'builtin' | 'cli'
  sshKeyFile?: string
  sshKnownHosts?: string
  databaseUrl?: string
  secret?: string
  githubSecret?: string
  forge?: string
  githubApiUrl?: string
  githubAppId?: string | number
  githubAppPrivateKeyFile?: string
  githubAppInstallationId?: number
  githubPacing?: { writeMs?: number; notificationMs?: number }
  adminToken?: string
  sources?: Record<string, SourceEntry>
  author?: { name?: string; email?: string }
  worker?: WorkerSettings
  logLevel?: string
  rateLimit?: { perSecond?: number; burst?: number }
  http?: { headersTimeoutMs?: number; requestTimeoutMs?: number }
  notifications?: { targets?: Record<string, TargetEntry> }
  windows?: WindowConfig[]
  argocd?: ArgoCdFileEntry
}

const checkFile = schemaCheck(CONFIG_SCHEMA)

function fail(message: string, data: Record<string, unknown> = {}): never {
  throw new ConfigError(message, data)
}

/** Reads and checks the config file; `data.path` names the field and `data.problems` lists every schema problem. */
function readFile(file: string): ConfigFile {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (e) {
    fail(`${file}: cannot read the config file: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { file, reason: 'unreadable' })
  }
  let raw: unknown
  try {
    raw = text.trim() === '' ? {} : load(text, { maxAliases: 20, maxDepth: 20, filename: file })
  } catch (e) {
    fail(`${file}: not valid YAML (${(e as Error).message.split('\n')[0]})`, { file, reason: 'yaml' })
  }
  const problems = checkFile(raw)
  if (problems.length > 0) {
    const first = problems[0]!
    fail(`${file}: ${describeProblems(problems)}`, { file, path: first.path, keyword: first.keyword, ...(first.suggestion && { suggestion: first.suggestion }), problems })
  }
  return raw as ConfigFile
}

function number(where: string, v: string | number | undefined, dflt: number, min: number): number {
  if (v === undefined || v === '') return dflt
  const n = Number(v)
  if (!Number.isFinite(n) || n < min) fail(`${where} must be a number of at least ${min}`, { setting: where })
  return n
}

function port(where: string, v: string | number | undefined, dflt: number): number {
  if (v === undefined) return dflt
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`${where} must be a port number (0-65535)`, { setting: where })
  return n
}


/**
 * Config file (`INFRA_SYNC_CONFIG`, else ./infra-sync.config.yaml when it
 * exists) overlaid by the environment; env wins. With nothing set it is the
 * embedded default: data in ./data, SQLite, a local repo at ./data/infra.
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const explicit = env.INFRA_SYNC_CONFIG
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, DEFAULT_CONFIG_FILE)
  const f: ConfigFile = explicit || fs.existsSync(file) ? readFile(file) : {}
  const container = detectContainer(env)

  const dataDir = path.resolve(cwd, env.INFRA_SYNC_DATA ?? f.data ?? './data')
  const branch = env.INFRA_SYNC_BRANCH ?? f.branch ?? 'main'
  if (!BRANCH.test(branch)) fail(`branch ${JSON.stringify(branch)} is not a valid branch name`, { setting: 'INFRA_SYNC_BRANCH' })
  if (f.repo !== undefined && f.repos !== undefined) fail('repo and repos are both set in the config file: list the one repo under repos, or use repo alone', { path: 'repos', reason: 'repo-and-repos' })
  const repoLocation = env.INFRA_SYNC_REPO ?? f.repo
  const token = env.INFRA_SYNC_GIT_TOKEN ?? f.gitToken
  const username = env.INFRA_SYNC_GIT_USERNAME ?? f.gitUsername
  const listed = env.INFRA_SYNC_REPO === undefined && f.repos !== undefined
  const embeddedRepo = repoLocation === undefined && !listed
  const transport = env.INFRA_SYNC_GIT_TRANSPORT ?? f.gitTransport ?? 'builtin'
  if (transport !== 'builtin' && transport !== 'cli') fail('INFRA_SYNC_GIT_TRANSPORT must be builtin or cli', { setting: 'INFRA_SYNC_GIT_TRANSPORT' })
  const keyFile = env.INFRA_SYNC_SSH_KEY_FILE ?? f.sshKeyFile
  const knownHosts = env.INFRA_SYNC_SSH_KNOWN_HOSTS ?? f.sshKnownHosts
  const sshFiles = { ...(keyFile && { keyFile: path.resolve(cwd, keyFile) }), ...(knownHosts && { knownHosts: path.resolve(cwd, knownHosts) }) }
  const repo = repoConfig(repoLocation ?? path.join(dataDir, 'infra'), branch, token, username, { transport, ssh: sshFiles })
  const forgeSettings = {
      forge: pick(['INFRA_SYNC_FORGE', env.INFRA_SYNC_FORGE], ['forge', f.forge]),
      apiUrl: pick(['INFRA_SYNC_GITHUB_API_URL', env.INFRA_SYNC_GITHUB_API_URL], ['githubApiUrl', f.githubApiUrl]),
      appId: pick<string | number>(['INFRA_SYNC_GITHUB_APP_ID', env.INFRA_SYNC_GITHUB_APP_ID], ['githubAppId', f.githubAppId]),
      privateKey: pick(['INFRA_SYNC_GITHUB_APP_PRIVATE_KEY', env.INFRA_SYNC_GITHUB_APP_PRIVATE_KEY]),
      privateKeyFile: pick(['INFRA_SYNC_GITHUB_APP_PRIVATE_KEY_FILE', env.INFRA_SYNC_GITHUB_APP_PRIVATE_KEY_FILE], ['githubAppPrivateKeyFile', f.githubAppPrivateKeyFile]),
      installationId: pick<string | number>(['INFRA_SYNC_GITHUB_APP_INSTALLATION_ID', env.INFRA_SYNC_GITHUB_APP_INSTALLATION_ID], ['githubAppInstallationId', f.githubAppInstallationId]),
  }
  const repos = listed ? reposFromFile(f.repos!, { branch, transport: { transport, ssh: sshFiles }, forge: forgeSettings }, env, cwd) : undefined
  const forge = repos ? repos.find((r) => r.forge)?.forge : forgeConfig(forgeSettings, repo, cwd)
  if (f.githubPacing && !forge) fail('githubPacing is set but no forge is configured', { setting: 'githubPacing' })
  const paced = forge && f.githubPacing ? { ...forge, pacing: f.githubPacing } : forge
  const pace = (r: RepoConfig): RepoConfig => (r.forge && f.githubPacing ? { ...r, forge: { ...r.forge, pacing: f.githubPacing } } : r)
  const single = repo.kind === 'local' ? { ...repo, location: path.resolve(cwd, repo.location) } : { ...repo, ...(paced && { forge: paced }) }
  const allRepos = repos ? repos.map(pace) : [single]

  const databaseUrl = env.INFRA_SYNC_DATABASE_URL ?? f.databaseUrl ?? `sqlite:${path.join(dataDir, 'infra-sync.db')}`
  // checkPostgresUrl throws a ConfigError that never repeats the URL: it may carry a password.
  if (/^postgres(ql)?:/.test(databaseUrl)) checkPostgresUrl(databaseUrl)
  else if (!/^sqlite:/.test(databaseUrl)) fail('INFRA_SYNC_DATABASE_URL must be sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE', { setting: 'INFRA_SYNC_DATABASE_URL' })

  const secrets = resolveSecrets(
    {
      ...(f.sources && { sources: f.sources }),
      fallback: { name: 'INFRA_SYNC_SECRET', value: env.INFRA_SYNC_SECRET ?? f.secret },
      github: { name: 'INFRA_SYNC_GITHUB_SECRET', value: env.INFRA_SYNC_GITHUB_SECRET ?? f.githubSecret },
    },
    env,
    { dataDir, container },
  )

  for (const [source, entry] of Object.entries(f.sources ?? {})) {
    const at = `sources.${source}.report`
    if (entry.report !== undefined && !forge) fail(`${at}: reports go through the forge, and there is none (set INFRA_SYNC_FORGE=github)`, { path: at, reason: 'report-without-forge' })
  }

  const adminToken = notEmpty({ name: 'INFRA_SYNC_ADMIN_TOKEN', value: env.INFRA_SYNC_ADMIN_TOKEN ?? f.adminToken })
  if (adminToken !== undefined) checkSecret('INFRA_SYNC_ADMIN_TOKEN', adminToken)

  const [envRate, envBurst] = (env.INFRA_SYNC_RATE_LIMIT ?? '').split('/')
  const perSecond = number('rateLimit.perSecond', envRate || f.rateLimit?.perSecond, 50, 0)
  const rateLimit = { perSecond, burst: number('rateLimit.burst', envBurst || f.rateLimit?.burst, Math.max(500, perSecond * 10), 1) }
  const http = { headersTimeoutMs: f.http?.headersTimeoutMs ?? 10_000, requestTimeoutMs: f.http?.requestTimeoutMs ?? 30_000 }
  if (http.headersTimeoutMs > http.requestTimeoutMs) fail('http.headersTimeoutMs must not be longer than http.requestTimeoutMs', { path: 'http.headersTimeoutMs' })

  const argocd = argocdConfig(env, f.argocd)
  const windows = f.windows ?? []
  try {
    parseWindows(windows, 'windows')
  } catch (e) {
    if (!(e instanceof InfraSyncError)) throw e
    fail(`${file}: ${e.message}`, { file, path: (e.data as { path?: string }).path ?? 'windows', reason: e.code })
  }

  const config: Config = {
    port: port('PORT', env.PORT ?? f.port, 8080),
    host: env.HOST ?? f.host ?? (container.inContainer ? '0.0.0.0' : '127.0.0.1'),
    dataDir,
    repo: allRepos[0]!,
    repos: allRepos,
    embeddedRepo,
    databaseUrl,
    secrets,
    ...(adminToken !== undefined && { adminToken }),
    ...(argocd !== undefined && { argocd }),
    rateLimit,
    http,
    author: {
      name: env.INFRA_SYNC_AUTHOR_NAME ?? f.author?.name ?? 'infra-sync',
      email: env.INFRA_SYNC_AUTHOR_EMAIL ?? f.author?.email ?? 'infra-sync@localhost',
    },
    worker: { ...f.worker },
    sourceReports: sourceReports(f.sources),
    notifications: notificationTargets(f.notifications?.targets ?? {}, env),
    windows,
    emergencySources: emergencySources(f.sources),
    logLevel: env.LOG_LEVEL ?? f.logLevel ?? 'info',
  }
  return Object.freeze(config)
}
