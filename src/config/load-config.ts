import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { load } from 'js-yaml'
import { isValidSource, normaliseSource } from '../core/build-event.js'
import { ConfigError } from '../core/errors.js'
import { secretKey } from '../intake/secrets.js'
import { MIN_SECRET_BYTES, type Config, type RepoConfig } from './config.js'

export const DEFAULT_CONFIG_FILE = 'infra-sync.config.yaml'
export const DEV_SECRET_FILE = 'webhook-secret'

const FILE_KEYS = ['port', 'host', 'data', 'repo', 'branch', 'gitToken', 'gitUsername', 'databaseUrl', 'secret', 'githubSecret', 'adminToken', 'sources', 'author', 'worker', 'logLevel', 'rateLimit', 'http']
const WORKER_KEYS = ['batchSize', 'maxAttempts', 'pushRetries', 'pollMs', 'retryBaseMs', 'retryCapMs', 'retentionDays']

type Env = Record<string, string | undefined>

function fail(message: string): never {
  throw new ConfigError(message)
}

function inContainer(env: Env): boolean {
  return env.KUBERNETES_SERVICE_HOST !== undefined || fs.existsSync('/.dockerenv')
}

function readFile(file: string): Record<string, unknown> {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (e) {
    fail(`cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  let raw: unknown
  try {
    raw = text.trim() === '' ? {} : load(text, { maxAliases: 20, maxDepth: 20, filename: file })
  } catch (e) {
    fail(`config file ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`config file ${file} must be a mapping`)
  for (const k of Object.keys(raw)) if (!FILE_KEYS.includes(k)) fail(`config file ${file}: unknown key ${JSON.stringify(k)}; known: ${FILE_KEYS.join(', ')}`)
  return raw as Record<string, unknown>
}

function str(where: string, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'number') return String(v)
  if (typeof v !== 'string') fail(`${where} must be a string`)
  return v
}

function checkSecret(where: string, secret: string): string {
  // Reported by length only: a secret never appears in an error.
  if (secretKey(secret).length < MIN_SECRET_BYTES) fail(`${where} is shorter than ${MIN_SECRET_BYTES} bytes; use e.g. \`openssl rand -base64 32\``)
  return secret
}

function secretList(where: string, v: unknown): string[] {
  if (v === undefined || v === null) return []
  const list = Array.isArray(v) ? v : [v]
  return list.map((s, i) => checkSecret(`${where}[${i}]`, str(`${where}[${i}]`, s) ?? fail(`${where}[${i}] is empty`)))
}

function sources(raw: unknown, env: Env): Map<string, string[]> {
  const out = new Map<string, string[]>()
  if (raw === undefined || raw === null) return out
  if (typeof raw !== 'object' || Array.isArray(raw)) fail('sources must be a mapping of owner/repository to { secret | secrets | secretEnv }')
  for (const [source, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!isValidSource(source)) fail(`sources: ${JSON.stringify(source)} does not look like owner/repository`)
    const v = (value ?? {}) as Record<string, unknown>
    for (const k of Object.keys(v)) if (!['secret', 'secrets', 'secretEnv'].includes(k)) fail(`sources.${source}: unknown key ${JSON.stringify(k)}; known: secret, secrets, secretEnv`)
    const list = [...secretList(`sources.${source}.secret`, v.secret), ...secretList(`sources.${source}.secrets`, v.secrets)]
    if (v.secretEnv !== undefined) {
      const name = str(`sources.${source}.secretEnv`, v.secretEnv)!
      const value = env[name]
      if (!value) fail(`sources.${source}.secretEnv: environment variable ${name} is not set`)
      // Space-separated values in one variable: old and new secret during a rotation.
      list.push(...value.split(/\s+/).filter(Boolean).map((s, i) => checkSecret(`${name}[${i}]`, s)))
    }
    if (list.length === 0) fail(`sources.${source} has no secret`)
    out.set(normaliseSource(source), list)
  }
  return out
}

function notEmpty(where: string, v: string | undefined): string | undefined {
  if (v !== undefined && v.trim() === '') fail(`${where} is set but empty`)
  return v
}

function number(where: string, v: unknown, dflt: number, min: number): number {
  if (v === undefined || v === null || v === '') return dflt
  const n = Number(v)
  if (!Number.isFinite(n) || n < min) fail(`${where} must be a number of at least ${min}`)
  return n
}

function port(where: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`${where} must be a port number (0-65535)`)
  return n
}

function repoConfig(location: string, branch: string, token: string | undefined, username: string | undefined): RepoConfig {
  if (/^https?:\/\//.test(location)) {
    try {
      new URL(location)
    } catch {
      fail('the infra repo URL is not a valid URL')
    }
    return { location, kind: 'http', branch, ...(token && { token }), ...(username && { username }) }
  }
  if (/^[a-z]+:\/\//i.test(location) || /^[^/]+@[^/]+:/.test(location)) fail('the infra repo must be an http(s) URL or a local path (ssh and git:// are not supported)')
  return { location, kind: 'local', branch }
}

const BRANCH = /^(?!\/|.*\/\/|.*\.\.|.*\/$|.*\.lock$)[A-Za-z0-9._\/-]{1,200}$/

/**
 * Config file (`INFRA_SYNC_CONFIG`, else ./infra-sync.config.yaml when it
 * exists) overlaid by the environment; env wins. With nothing set it is the
 * embedded default: data in ./data, SQLite, a local repo at ./data/infra.
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const explicit = env.INFRA_SYNC_CONFIG
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, DEFAULT_CONFIG_FILE)
  const f: Record<string, unknown> = explicit || fs.existsSync(file) ? readFile(file) : {}

  const dataDir = path.resolve(cwd, env.INFRA_SYNC_DATA ?? str('data', f.data) ?? './data')
  const branch = env.INFRA_SYNC_BRANCH ?? str('branch', f.branch) ?? 'main'
  if (!BRANCH.test(branch)) fail(`branch ${JSON.stringify(branch)} is not a valid branch name`)
  const repoLocation = env.INFRA_SYNC_REPO ?? str('repo', f.repo)
  const token = env.INFRA_SYNC_GIT_TOKEN ?? str('gitToken', f.gitToken)
  const username = env.INFRA_SYNC_GIT_USERNAME ?? str('gitUsername', f.gitUsername)
  const embeddedRepo = repoLocation === undefined
  const repo = repoConfig(repoLocation ?? path.join(dataDir, 'infra'), branch, token, username)
  const resolvedRepo = repo.kind === 'local' ? { ...repo, location: path.resolve(cwd, repo.location) } : repo

  const databaseUrl = env.INFRA_SYNC_DATABASE_URL ?? str('databaseUrl', f.databaseUrl) ?? `sqlite:${path.join(dataDir, 'infra-sync.db')}`
  if (!/^sqlite:/.test(databaseUrl)) {
    fail(/^postgres(ql)?:/.test(databaseUrl) ? 'PostgreSQL is not supported yet by this version; use sqlite:PATH' : 'INFRA_SYNC_DATABASE_URL must be sqlite:PATH')
  }

  const bySource = sources(f.sources, env)
  // Set but empty is a mistake (a missing secret reference), never "unset": refused, not replaced by a generated one.
  const fallbackRaw = notEmpty('INFRA_SYNC_SECRET', env.INFRA_SYNC_SECRET ?? str('secret', f.secret))
  const fallback = fallbackRaw ? [checkSecret('INFRA_SYNC_SECRET', fallbackRaw)] : []
  const githubRaw = notEmpty('INFRA_SYNC_GITHUB_SECRET', env.INFRA_SYNC_GITHUB_SECRET ?? str('githubSecret', f.githubSecret))
  const github = githubRaw ? githubRaw.split(/\s+/).filter(Boolean).map((s, i) => checkSecret(`INFRA_SYNC_GITHUB_SECRET[${i}]`, s)) : []

  let generatedFallbackFile: string | undefined
  if (fallback.length === 0 && bySource.size === 0) {
    // Nothing configured: a development secret, generated once and kept in the data folder (never logged).
    generatedFallbackFile = path.join(dataDir, DEV_SECRET_FILE)
    fallback.push(devSecret(generatedFallbackFile))
  }

  const adminToken = notEmpty('INFRA_SYNC_ADMIN_TOKEN', env.INFRA_SYNC_ADMIN_TOKEN ?? str('adminToken', f.adminToken))
  if (adminToken !== undefined) checkSecret('INFRA_SYNC_ADMIN_TOKEN', adminToken)

  const limits = (f.rateLimit ?? {}) as Record<string, unknown>
  const [envRate, envBurst] = (env.INFRA_SYNC_RATE_LIMIT ?? '').split('/')
  const perSecond = number('rateLimit.perSecond', envRate || limits.perSecond, 50, 0)
  const rateLimit = { perSecond, burst: number('rateLimit.burst', envBurst || limits.burst, Math.max(500, perSecond * 10), 1) }
  const httpFile = (f.http ?? {}) as Record<string, unknown>
  const http = {
    headersTimeoutMs: number('http.headersTimeoutMs', httpFile.headersTimeoutMs, 10_000, 100),
    requestTimeoutMs: number('http.requestTimeoutMs', httpFile.requestTimeoutMs, 30_000, 100),
  }
  if (http.headersTimeoutMs > http.requestTimeoutMs) fail('http.headersTimeoutMs must not be longer than http.requestTimeoutMs')

  const author = (f.author ?? {}) as Record<string, unknown>
  const worker = (f.worker ?? {}) as Record<string, unknown>
  for (const k of Object.keys(worker)) if (!WORKER_KEYS.includes(k)) fail(`worker: unknown key ${JSON.stringify(k)}; known: ${WORKER_KEYS.join(', ')}`)
  for (const [k, v] of Object.entries(worker)) if (typeof v !== 'number' || !(v > 0)) fail(`worker.${k} must be a positive number`)
  // Senders may redeliver for up to three days: their delivery ids must outlive that.
  if (worker.retentionDays !== undefined && (worker.retentionDays as number) < 3) fail('worker.retentionDays must be at least 3')

  const config: Config = {
    port: port('PORT', env.PORT ?? str('port', f.port), 8080),
    host: env.HOST ?? str('host', f.host) ?? (inContainer(env) ? '0.0.0.0' : '127.0.0.1'),
    dataDir,
    repo: resolvedRepo,
    embeddedRepo,
    databaseUrl,
    secrets: { bySource, fallback, ...(generatedFallbackFile && { generatedFallbackFile }), github, githubBySource: new Map() },
    ...(adminToken !== undefined && { adminToken }),
    rateLimit,
    http,
    author: {
      name: env.INFRA_SYNC_AUTHOR_NAME ?? str('author.name', author.name) ?? 'infra-sync',
      email: env.INFRA_SYNC_AUTHOR_EMAIL ?? str('author.email', author.email) ?? 'infra-sync@localhost',
    },
    worker: worker as Config['worker'],
    logLevel: env.LOG_LEVEL ?? str('logLevel', f.logLevel) ?? 'info',
  }
  return Object.freeze(config)
}

function devSecret(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const secret = randomBytes(32).toString('base64url')
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' })
    return secret
  }
}
