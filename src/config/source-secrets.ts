import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { isValidSource, normaliseSource } from '../core/build-event.js'
import { ConfigError } from '../core/errors.js'
import { secretKey } from '../intake/secrets.js'
import { MIN_SECRET_BYTES, type Config, type ReportMode } from './config.js'
import type { ContainerCheck } from './container.js'

export const DEV_SECRET_FILE = 'webhook-secret'

type Env = Record<string, string | undefined>

/** One entry of the config file's `sources` (its shape checked by the schema). */
export interface SourceEntry {
  readonly secret?: string
  readonly secrets?: readonly string[]
  readonly secretEnv?: string
  readonly githubSecret?: string
  readonly githubSecrets?: readonly string[]
  readonly githubSecretEnv?: string
  /** How the source hears about its builds; not a secret, so not enough on its own. */
  readonly report?: ReportMode
  /** Whether its events may carry `emergency: true` and pass deploy windows. */
  readonly emergency?: boolean
}

/** A setting as found: its value (from the environment or the file) and the name to report it by. */
export interface Setting {
  readonly name: string
  readonly value: string | undefined
}

function fail(message: string, data: Record<string, unknown>): never {
  throw new ConfigError(message, data)
}

/** Reported by name and length only: a secret never appears in an error. */
export function checkSecret(setting: string, secret: string): string {
  if (secretKey(secret).length < MIN_SECRET_BYTES) {
    fail(`${setting} is shorter than ${MIN_SECRET_BYTES} bytes; use e.g. \`openssl rand -base64 32\``, { setting, reason: 'secret-too-short', minBytes: MIN_SECRET_BYTES })
  }
  return secret
}

/** Set but empty is a mistake (a missing secret reference), never "unset". */
export function notEmpty(s: Setting): string | undefined {
  if (s.value !== undefined && s.value.trim() === '') fail(`${s.name} is set but empty`, { setting: s.name, reason: 'empty' })
  return s.value
}

/** Space-separated values in one setting: old and new secret during a rotation. */
function rotation(setting: string, value: string): string[] {
  const list = value.split(/\s+/).filter(Boolean)
  if (list.length === 0) fail(`${setting} is set but empty`, { setting, reason: 'empty' })
  return list.map((s, i) => checkSecret(list.length > 1 ? `${setting}[${i}]` : setting, s))
}

function fromEnv(setting: string, name: string, env: Env): string[] {
  const value = env[name]
  if (value === undefined) fail(`${setting}: environment variable ${name} is not set`, { setting, variable: name, reason: 'env-not-set' })
  return rotation(name, value)
}

function secretsOf(at: string, one: string | undefined, many: readonly string[] | undefined, envName: string | undefined, env: Env, names: [string, string, string]): string[] {
  const [oneKey, manyKey, envKey] = names
  return [
    ...(one === undefined ? [] : [checkSecret(`${at}.${oneKey}`, one)]),
    ...(many ?? []).map((s, i) => checkSecret(`${at}.${manyKey}[${i}]`, s)),
    ...(envName === undefined ? [] : fromEnv(`${at}.${envKey}`, envName, env)),
  ]
}

/** Per normalised source: its Standard Webhooks secrets and its GitHub hook secrets; each source has at least one of the two. */
export function sourceSecrets(raw: Readonly<Record<string, SourceEntry>> | undefined, env: Env): { bySource: Map<string, string[]>; githubBySource: Map<string, string[]> } {
  const bySource = new Map<string, string[]>()
  const githubBySource = new Map<string, string[]>()
  const seen = new Map<string, string>()
  for (const [source, entry] of Object.entries(raw ?? {})) {
    const at = `sources.${source}`
    if (!isValidSource(source)) fail(`${at}: ${JSON.stringify(source)} does not look like owner/repository`, { path: at, reason: 'source-invalid' })
    const key = normaliseSource(source)
    if (seen.has(key)) fail(`${at}: the same source as ${seen.get(key)} (sources are case-insensitive)`, { path: at, reason: 'source-duplicate' })
    seen.set(key, source)
    const standard = secretsOf(at, entry.secret, entry.secrets, entry.secretEnv, env, ['secret', 'secrets', 'secretEnv'])
    const github = secretsOf(at, entry.githubSecret, entry.githubSecrets, entry.githubSecretEnv, env, ['githubSecret', 'githubSecrets', 'githubSecretEnv'])
    if (standard.length === 0 && github.length === 0) {
      const only = entry.report === undefined ? '' : ' (report alone is not enough: the source must sign what it sends)'
      fail(`${at} has no secret${only}: give secret, secrets, secretEnv, githubSecret, githubSecrets or githubSecretEnv`, { path: at, reason: 'source-without-secret' })
    }
    if (standard.length > 0) bySource.set(key, standard)
    if (github.length > 0) githubBySource.set(key, github)
  }
  return { bySource, githubBySource }
}

/** The normalised sources allowed to send `emergency: true` (the names were checked by sourceSecrets). */
export function emergencySources(raw: Readonly<Record<string, SourceEntry>> | undefined): Set<string> {
  return new Set(Object.entries(raw ?? {}).flatMap(([source, entry]) => (entry.emergency === true ? [normaliseSource(source)] : [])))
}

/** Per normalised source, how it hears about its builds (the names were checked by sourceSecrets). */
export function sourceReports(raw: Readonly<Record<string, SourceEntry>> | undefined): Map<string, ReportMode> {
  const reports = new Map<string, ReportMode>()
  for (const [source, entry] of Object.entries(raw ?? {})) if (entry.report !== undefined) reports.set(normaliseSource(source), entry.report)
  return reports
}

/**
 * Every webhook secret, checked (at least MIN_SECRET_BYTES each, wherever it
 * comes from). With none for POST /v1/events, a development secret kept in
 * the data folder, except in a container: there a secret must be set.
 */
export function resolveSecrets(
  s: { readonly sources?: Readonly<Record<string, SourceEntry>>; readonly fallback: Setting; readonly github: Setting },
  env: Env,
  where: { readonly dataDir: string; readonly container: ContainerCheck },
): Config['secrets'] {
  const { bySource, githubBySource } = sourceSecrets(s.sources, env)
  const fallbackValue = notEmpty(s.fallback)
  const fallback = fallbackValue === undefined ? [] : [checkSecret(s.fallback.name, fallbackValue)]
  const githubValue = notEmpty(s.github)
  const github = githubValue === undefined ? [] : rotation(s.github.name, githubValue)
  const secrets = { bySource, fallback, github, githubBySource }
  if (fallback.length > 0 || bySource.size > 0 || githubBySource.size > 0) return secrets
  if (where.container.inContainer) {
    // The server then verifies only what the GitHub secret signs; with no secret at all it could verify nothing.
    if (github.length > 0) return secrets
    fail(
      'no webhook secret is configured, and in a container infra-sync does not generate a development secret: set INFRA_SYNC_SECRET (at least 24 bytes, e.g. `openssl rand -base64 32`) or per-source secrets (sources.<owner/repo>.secretEnv in the config file)',
      { reason: 'no-secret-in-container', detectedBy: where.container.detectedBy },
    )
  }
  const generatedFallbackFile = path.join(where.dataDir, DEV_SECRET_FILE)
  return { ...secrets, fallback: [devSecret(generatedFallbackFile)], generatedFallbackFile }
}

/** The development secret: generated once into the data folder (mode 600, never logged), then read from there. */
function devSecret(file: string): string {
  let text = read(file)
  if (text === undefined) {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    try {
      fs.writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' })
    } catch (e) {
      // Another process wrote it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') fail(`cannot write the development secret ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { file, reason: 'dev-secret-unwritable' })
    }
    text = read(file) ?? ''
  }
  const secret = text.trim()
  if (secretKey(secret).length < MIN_SECRET_BYTES) {
    fail(`the development secret ${file} is shorter than ${MIN_SECRET_BYTES} bytes (empty or cut short): delete the file and infra-sync generates a new one at the next start`, {
      file,
      setting: file,
      reason: 'secret-too-short',
      minBytes: MIN_SECRET_BYTES,
    })
  }
  return secret
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    fail(`cannot read the development secret ${file}: ${code ?? 'error'}`, { file, reason: 'dev-secret-unreadable' })
  }
}
