import { load } from 'js-yaml'
import { isValidSource, normaliseSource } from '../core/build-event.js'
import { ConfigError, InfraSyncError } from '../core/errors.js'
import { isValidTag, parseImageName } from '../core/image-ref.js'
import { assertSafeRepoPath } from '../core/repo-path.js'
import { FORMATS } from '../editors/registry.js'
import { parseKeyPath } from '../editors/helm-values.js'
import { DEFAULT_POLICY, parsePolicy } from '../policies/registry.js'

export const SERVICE_CONFIG_FILE = 'infra-sync.yaml'
export type UpdateMode = 'commit' | 'pull-request'

export interface EnvironmentConfig {
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
}

const TOP_KEYS = ['source', 'image', 'branches', 'policy', 'environments', 'format', 'key', 'imagePolicies']
const ENV_KEYS = ['path', 'update', 'policy', 'file', 'format', 'key', 'pin']
const IMAGE_POLICY = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/
const ENV_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/

function invalid(file: string, message: string): never {
  throw new ConfigError(`${file}: ${message}`, { file })
}

function checkKeys(file: string, where: string, obj: Record<string, unknown>, known: string[]): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) invalid(file, `unknown key ${JSON.stringify(k)}${where}; known: ${known.join(', ')}`)
  }
}

function str(file: string, field: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') invalid(file, `${field} must be a non-empty string`)
  return v.trim()
}

function checkPolicy(file: string, field: string, spec: string): string {
  try {
    parsePolicy(spec)
  } catch (e) {
    if (e instanceof InfraSyncError) invalid(file, `${field}: ${e.message}`)
    throw e
  }
  return spec
}

function checkFormat(file: string, field: string, v: unknown): string | undefined {
  if (v === undefined) return undefined
  const f = str(file, field, v)
  if (!FORMATS.includes(f)) invalid(file, `${field} must be one of ${FORMATS.join(', ')}`)
  return f
}

function checkKey(file: string, field: string, v: unknown): string | undefined {
  if (v === undefined) return undefined
  const k = str(file, field, v)
  try {
    parseKeyPath(k)
  } catch {
    invalid(file, `${field} must be a key path such as image.tag or api.images[0].tag`)
  }
  return k
}

/** A key is a place in a Helm values file: it implies format helm, and no other format takes one. */
function keyFormat(file: string, where: string, format: string | undefined, key: string | undefined): string | undefined {
  if (key === undefined) return format
  if (format !== undefined && format !== 'helm') invalid(file, `${where}key is for Helm values; format ${format} does not take one`)
  return 'helm'
}

/** Parses and validates one infra-sync.yaml. `file` is its repository path, for messages. Throws ConfigError. */
export function parseServiceConfig(text: string, file: string): ServiceConfig {
  let raw: unknown
  try {
    raw = text.trim() === '' ? null : load(text, { maxAliases: 20, maxDepth: 20, filename: file })
  } catch (e) {
    invalid(file, `not valid YAML (${(e as Error).message.split('\n')[0]})`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) invalid(file, 'must be a mapping with at least source and image')
  const cfg = raw as Record<string, unknown>
  checkKeys(file, '', cfg, TOP_KEYS)

  const source = str(file, 'source', cfg.source)
  if (!isValidSource(source)) invalid(file, 'source must look like owner/repository')
  const imageAsWritten = str(file, 'image', cfg.image)
  let image: string
  try {
    const ref = parseImageName(imageAsWritten)
    image = ref.name
  } catch (e) {
    invalid(file, `image: ${(e as Error).message}`)
  }

  let branches: string[] = ['main']
  if (cfg.branches !== undefined) {
    const b = typeof cfg.branches === 'string' ? [cfg.branches] : cfg.branches
    if (!Array.isArray(b) || b.length === 0 || !b.every((x) => typeof x === 'string' && x.trim() !== '')) {
      invalid(file, 'branches must be a list of branch names or globs')
    }
    branches = b.map((x: string) => x.trim())
  }
  const policy = checkPolicy(file, 'policy', cfg.policy === undefined ? DEFAULT_POLICY : str(file, 'policy', cfg.policy))

  const key = checkKey(file, 'key', cfg.key)
  const format = keyFormat(file, '', checkFormat(file, 'format', cfg.format), key)
  let imagePolicies: string[] = []
  if (cfg.imagePolicies !== undefined) {
    const list = typeof cfg.imagePolicies === 'string' ? [cfg.imagePolicies] : cfg.imagePolicies
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && IMAGE_POLICY.test(x))) {
      invalid(file, 'imagePolicies must be a list of Flux ImagePolicy names as namespace:name')
    }
    imagePolicies = list as string[]
  }

  let environments: EnvironmentConfig[] | null = null
  if (cfg.environments !== undefined && cfg.environments !== null) {
    const envs = cfg.environments
    if (typeof envs !== 'object' || Array.isArray(envs)) invalid(file, 'environments must be a mapping of name to settings')
    environments = []
    for (const [name, value] of Object.entries(envs as Record<string, unknown>)) {
      if (!ENV_NAME.test(name)) invalid(file, `environment name ${JSON.stringify(name)} must be lower-case letters, digits and -`)
      const e = (value ?? {}) as Record<string, unknown>
      if (typeof e !== 'object' || Array.isArray(e)) invalid(file, `environments.${name} must be a mapping`)
      checkKeys(file, ` in environments.${name}`, e, ENV_KEYS)
      let path: string
      try {
        const p = e.path === undefined ? `overlays/${name}` : str(file, `environments.${name}.path`, e.path)
        // `.`: the service folder itself (a Helm layout with values-<env>.yaml beside infra-sync.yaml).
        path = p === '.' || p === './' ? '.' : assertSafeRepoPath(p)
      } catch (err) {
        invalid(file, `environments.${name}.path: ${(err as Error).message}`)
      }
      const update = e.update === undefined ? 'commit' : e.update
      if (update !== 'commit' && update !== 'pull-request') invalid(file, `environments.${name}.update must be commit or pull-request`)
      const envPolicy = e.policy === undefined ? undefined : checkPolicy(file, `environments.${name}.policy`, str(file, `environments.${name}.policy`, e.policy))
      let envFile: string | undefined
      if (e.file !== undefined) {
        const f = str(file, `environments.${name}.file`, e.file)
        try {
          envFile = assertSafeRepoPath(f)
        } catch (err) {
          invalid(file, `environments.${name}.file: ${(err as Error).message}`)
        }
      }
      const envKey = checkKey(file, `environments.${name}.key`, e.key) ?? key
      const envFormat = keyFormat(file, `environments.${name}.`, checkFormat(file, `environments.${name}.format`, e.format) ?? format, envKey)
      let pin: true | string | undefined
      if (e.pin === true) pin = true
      else if (typeof e.pin === 'number') invalid(file, `environments.${name}.pin: write the tag in quotes ("${e.pin}"); YAML reads a bare 1.10 as the number 1.1`)
      else if (typeof e.pin === 'string') {
        pin = String(e.pin).trim()
        if (!isValidTag(pin)) invalid(file, `environments.${name}.pin must be true or a tag`)
      } else if (e.pin !== undefined && e.pin !== false && e.pin !== null) invalid(file, `environments.${name}.pin must be true or a tag`)
      environments.push({
        name,
        path,
        update,
        ...(envPolicy !== undefined && { policy: envPolicy }),
        ...(envFile !== undefined && { file: envFile }),
        ...(envFormat !== undefined && { format: envFormat }),
        ...(envKey !== undefined && { key: envKey }),
        ...(pin !== undefined && { pin }),
      })
    }
  }

  return {
    source: normaliseSource(source),
    image,
    imageAsWritten,
    branches,
    policy,
    environments,
    imagePolicies,
    ...(format !== undefined && { format }),
    ...(key !== undefined && { key }),
  }
}
