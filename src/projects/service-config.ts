import { load } from 'js-yaml'
import { isValidSource, normaliseSource } from '../core/build-event.js'
import type { MergeMethod, MergeMode } from '../core/change-set.js'
import { ConfigError, InfraSyncError } from '../core/errors.js'
import { describeProblems, schemaCheck } from '../core/schema-check.js'
import { isValidTag, parseImageName } from '../core/image-ref.js'
import { assertSafeRepoPath } from '../core/repo-path.js'
import { parseKeyPath } from '../editors/helm-values.js'
import { DEFAULT_POLICY, parsePolicy } from '../policies/registry.js'
import { SERVICE_SCHEMA } from './service-schema.js'
import { parseWindows, type DeployWindow, type WindowConfig } from '../windows/deploy-windows.js'
import { checkPromotions, type PromoteConfig, type RawPromote } from './promote-config.js'

export const SERVICE_CONFIG_FILE = 'infra-sync.yaml'
export type UpdateMode = 'commit' | 'pull-request'

/** How a pull-request environment's pull request is handled. */
export interface PullRequestSettings {
  readonly merge: MergeMode
  readonly mergeMethod: MergeMethod
  /** User logins and `org/team` slugs asked to review. */
  readonly reviewers: readonly string[]
  readonly labels: readonly string[]
}

const PR_SETTINGS = ['merge', 'mergeMethod', 'reviewers', 'labels'] as const

/** update: pull-request environments have every PullRequestSettings field (defaults filled in); commit ones none. */
export interface EnvironmentConfig extends Partial<PullRequestSettings> {
  readonly name: string
  /** Relative to the service folder, normalised (`overlays/dev`). */
  readonly path: string
  readonly update: UpdateMode
  readonly policy?: string
  /** A file inside `path` to edit instead of the detected ones. */
  readonly file?: string
  /** The editor to use instead of detecting one (kustomize, helm, manifests, markers). */
  readonly format?: string
  /** Where in the file the image is (Helm values: `api.image.tag`). */
  readonly key?: string
  /** `pin: true` or `pin: <tag>`: events never change this environment (a human holds it). */
  readonly pin?: true | string
  /** Its own deploy windows: they replace the service's and the server's ([]: none here). */
  readonly windows?: readonly DeployWindow[]
  /** Only after `from` runs the build, Synced and Healthy for healthyFor (promote-config.ts). */
  readonly promote?: PromoteConfig
  /** The Argo CD Application deploying it, when not `<service>-<environment>`. */
  readonly application?: string
}

/** A service folder's infra-sync.yaml, validated. */
export interface ServiceConfig {
  readonly source: string
  /** Canonical image name. */
  readonly image: string
  /** The image as written, used when an entry has to be added to a file. */
  readonly imageAsWritten: string
  readonly branches: readonly string[]
  readonly policy: string
  /** null: one environment per overlays/* folder, update: commit. */
  readonly environments: readonly EnvironmentConfig[] | null
  /** Defaults for every environment's `format` and `key`. */
  readonly format?: string
  readonly key?: string
  /** Flux ImagePolicies (`namespace:name`) whose `$imagepolicy` setter markers mean this image. */
  readonly imagePolicies: readonly string[]
  /** Notification targets (names in the server config's `notifications.targets`) told what happens to this service. */
  readonly notify: readonly string[]
  /** Deploy windows of every environment without its own; they replace the server's ([]: none). */
  readonly windows?: readonly DeployWindow[]
}

const checkSchema = schemaCheck(SERVICE_SCHEMA)

function invalid(file: string, message: string, data: Record<string, unknown> = {}): never {
  throw new ConfigError(`${file}: ${message}`, { file, ...data })
}

function checkPolicy(file: string, field: string, spec: string): string {
  try {
    parsePolicy(spec)
  } catch (e) {
    if (e instanceof InfraSyncError) invalid(file, `${field}: ${e.message}`, { path: field })
    throw e
  }
  return spec
}

function checkWindows(file: string, field: string, w: WindowConfig[] | undefined): DeployWindow[] | undefined {
  if (w === undefined) return undefined
  try {
    return parseWindows(w, field)
  } catch (e) {
    if (e instanceof InfraSyncError) invalid(file, e.message, { path: (e.data as { path?: string }).path ?? field })
    throw e
  }
}

function checkKey(file: string, field: string, k: string | undefined): string | undefined {
  if (k === undefined) return undefined
  try {
    parseKeyPath(k.trim())
  } catch {
    invalid(file, `${field} must be a key path such as image.tag or api.images[0].tag`, { path: field })
  }
  return k.trim()
}

/** A key is a place in a Helm values file: it implies format helm, and no other format takes one. */
function keyFormat(file: string, where: string, format: string | undefined, key: string | undefined): string | undefined {
  if (key === undefined) return format
  if (format !== undefined && format !== 'helm') invalid(file, `${where}key is for Helm values; format ${format} does not take one`, { path: `${where}format` })
  return 'helm'
}

function safePath(file: string, field: string, p: string): string {
  try {
    return assertSafeRepoPath(p)
  } catch (err) {
    invalid(file, `${field}: ${(err as Error).message}`, { path: field })
  }
}

/** The PullRequestSettings fields set in `raw`, and no others. */
export function settingsIn(raw: Partial<PullRequestSettings>): Partial<PullRequestSettings> {
  const out: Record<string, unknown> = {}
  for (const k of PR_SETTINGS) if (raw[k] !== undefined) out[k] = raw[k]
  return out as Partial<PullRequestSettings>
}

/** The settings of a pull-request environment: its own, else the service's, else the defaults. */
function pullRequestSettings(own: Partial<PullRequestSettings>, service: Partial<PullRequestSettings>): PullRequestSettings {
  return {
    merge: own.merge ?? service.merge ?? 'manual',
    mergeMethod: own.mergeMethod ?? service.mergeMethod ?? 'merge',
    reviewers: own.reviewers ?? service.reviewers ?? [],
    labels: own.labels ?? service.labels ?? [],
  }
}

/** The shape the schema guarantees. */
interface RawEnvironment {
  path?: string
  update?: UpdateMode
  policy?: string
  file?: string
  format?: string
  key?: string
  pin?: boolean | string | null
  merge?: MergeMode
  mergeMethod?: MergeMethod
  reviewers?: string[]
  labels?: string[]
  windows?: WindowConfig[]
  promote?: RawPromote
  application?: string
}
interface RawService {
  source: string
  image: string
  branches?: string | string[]
  policy?: string
  format?: string
  key?: string
  imagePolicies?: string | string[]
  notify?: string[]
  merge?: MergeMode
  mergeMethod?: MergeMethod
  reviewers?: string[]
  labels?: string[]
  windows?: WindowConfig[]
  environments?: Record<string, RawEnvironment | null> | null
}

/**
 * Parses and validates one infra-sync.yaml: its shape by SERVICE_SCHEMA
 * (unknown keys at any depth, with the nearest known name), then what a
 * schema cannot say. `file` is its repository path, for messages. Throws
 * ConfigError; `data.path` names the field and `data.problems` lists every
 * schema problem.
 */
export function parseServiceConfig(text: string, file: string): ServiceConfig {
  let raw: unknown
  try {
    raw = text.trim() === '' ? null : load(text, { maxAliases: 20, maxDepth: 20, filename: file })
  } catch (e) {
    invalid(file, `not valid YAML (${(e as Error).message.split('\n')[0]})`, { reason: 'yaml' })
  }
  if (raw === null || raw === undefined) invalid(file, 'is empty; it needs at least source and image', { path: '' })
  const problems = checkSchema(raw)
  if (problems.length > 0) {
    const first = problems[0]!
    invalid(file, describeProblems(problems), { path: first.path, keyword: first.keyword, ...(first.suggestion && { suggestion: first.suggestion }), problems })
  }
  const cfg = raw as RawService

  const source = cfg.source.trim()
  if (!isValidSource(source)) invalid(file, 'source must look like owner/repository', { path: 'source' })
  const imageAsWritten = cfg.image.trim()
  let image: string
  try {
    image = parseImageName(imageAsWritten).name
  } catch (e) {
    invalid(file, `image: ${(e as Error).message}`, { path: 'image' })
  }

  const branches = cfg.branches === undefined ? ['main'] : ([] as string[]).concat(cfg.branches).map((b) => b.trim())
  if (branches.some((b) => b === '')) invalid(file, 'branches must be a list of branch names or globs', { path: 'branches' })
  const policy = checkPolicy(file, 'policy', cfg.policy === undefined ? DEFAULT_POLICY : cfg.policy.trim())
  const key = checkKey(file, 'key', cfg.key)
  const format = keyFormat(file, '', cfg.format, key)
  const imagePolicies = cfg.imagePolicies === undefined ? [] : ([] as string[]).concat(cfg.imagePolicies)
  const serviceSettings = settingsIn(cfg)
  const windows = checkWindows(file, 'windows', cfg.windows)

  let environments: EnvironmentConfig[] | null = null
  if (cfg.environments !== undefined && cfg.environments !== null) {
    environments = []
    const promotions = checkPromotions(file, new Map(Object.entries(cfg.environments).map(([name, e]) => [name, e?.promote])))
    for (const [name, value] of Object.entries(cfg.environments)) {
      const e = value ?? {}
      const at = `environments.${name}`
      const p = e.path === undefined ? `overlays/${name}` : e.path.trim()
      // `.`: the service folder itself (a Helm layout with values-<env>.yaml beside infra-sync.yaml).
      const path = p === '.' || p === './' ? '.' : safePath(file, `${at}.path`, p)
      const envPolicy = e.policy === undefined ? undefined : checkPolicy(file, `${at}.policy`, e.policy.trim())
      const envFile = e.file === undefined ? undefined : safePath(file, `${at}.file`, e.file.trim())
      const envKey = checkKey(file, `${at}.key`, e.key) ?? key
      const envFormat = keyFormat(file, `${at}.`, e.format ?? format, envKey)
      let pin: true | string | undefined
      if (e.pin === true) pin = true
      else if (typeof e.pin === 'string') {
        pin = e.pin.trim()
        if (!isValidTag(pin)) invalid(file, `${at}.pin must be true or a tag`, { path: `${at}.pin` })
      }
      const envWindows = checkWindows(file, `${at}.windows`, e.windows)
      const update = e.update ?? 'commit'
      const own = settingsIn(e)
      // A setting that would silently do nothing is a mistake worth saying so.
      const stray = update === 'commit' ? PR_SETTINGS.find((k) => own[k] !== undefined) : undefined
      if (stray) invalid(file, `${at}.${stray} is only for update: pull-request (${name} is updated by commit)`, { path: `${at}.${stray}` })
      environments.push({
        name,
        path,
        update,
        ...(update === 'pull-request' && pullRequestSettings(own, serviceSettings)),
        ...(envPolicy !== undefined && { policy: envPolicy }),
        ...(envFile !== undefined && { file: envFile }),
        ...(envFormat !== undefined && { format: envFormat }),
        ...(envKey !== undefined && { key: envKey }),
        ...(pin !== undefined && { pin }),
        ...(envWindows !== undefined && { windows: envWindows }),
        ...(promotions.has(name) && { promote: promotions.get(name)! }),
        ...(e.application !== undefined && { application: e.application }),
      })
    }
  }

  const strayDefault = PR_SETTINGS.find((k) => serviceSettings[k] !== undefined)
  if (strayDefault && !environments?.some((e) => e.update === 'pull-request')) {
    invalid(file, `${strayDefault} is only for update: pull-request, and no environment is updated by pull request`, { path: strayDefault })
  }

  return {
    source: normaliseSource(source),
    image,
    imageAsWritten,
    branches,
    policy,
    environments,
    imagePolicies,
    notify: cfg.notify ?? [],
    ...(windows !== undefined && { windows }),
    ...(format !== undefined && { format }),
    ...(key !== undefined && { key }),
  }
}
