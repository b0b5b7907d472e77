import { InfraSyncError } from '../core/errors.js'
import { kustomizeImages } from '../editors/kustomize-images.js'
import { EDITORS, editorByFormat } from '../editors/registry.js'
import { decodeFile } from '../editors/file-codec.js'
import { parseServiceConfig, settingsIn, SERVICE_CONFIG_FILE, type EnvironmentConfig, type PullRequestSettings, type ServiceConfig, type UpdateMode } from './service-config.js'
import { LayeredMap } from './layered-map.js'
import type { TreeSource } from './tree-source.js'
import type { DeployWindow } from '../windows/deploy-windows.js'
import { applicationName, type PromoteConfig } from './promote-config.js'

export const SERVICES_DIR = 'services'

/** One environment of one service: the file infra-sync edits there. A pull-request one has every PullRequestSettings field. */
export interface ServiceTarget extends Partial<PullRequestSettings> {
  readonly environment: string
  /** Repository path of the environment folder. */
  readonly dir: string
  /**
   * Repository paths of the files that may set the image: the explicit `file`,
   * else the folder's kustomization, else every YAML file in it (those that do
   * not mention the image are passed over). Empty when there is none (see `problem`).
   */
  readonly files: readonly string[]
  /** Whether `files` was named in infra-sync.yaml: then a file without the image is a finding, not noise. */
  readonly explicit: boolean
  readonly problem?: string
  readonly format?: string
  readonly key?: string
  readonly pin?: true | string
  /** The environment's deploy windows, else the service's; absent: the server's (an empty list: none). */
  readonly windows?: readonly DeployWindow[]
  /** Promotion: `from` must run the build and its Argo CD Application be Healthy at it for healthyForMs first. */
  readonly promote?: PromoteConfig & { readonly application: string }
  /** The Argo CD Application that deploys this environment. */
  readonly application: string
  readonly update: UpdateMode
  readonly policy: string
}

export interface Service {
  readonly name: string
  readonly dir: string
  /** Tree id of the service folder: the cache key. */
  readonly oid: string
  readonly config: ServiceConfig | null
  /** Why its infra-sync.yaml was refused; `data` says where (`path`, the nearest known name as `suggestion`). */
  readonly error: { readonly code: string; readonly message: string; readonly data?: Readonly<Record<string, unknown>> } | null
  readonly targets: readonly ServiceTarget[]
}

type ParsedConfig = { readonly config: ServiceConfig } | { readonly error: NonNullable<Service['error']> }

/** The project list: every services/* folder at one commit, indexed by image. */
export interface Registry {
  readonly services: ReadonlyMap<string, Service>
  readonly byImage: ReadonlyMap<string, readonly Service[]>
  /** Parsed infra-sync.yaml by blob id and path: a folder changes with every deploy, its config rarely. */
  readonly configs: ReadonlyMap<string, ParsedConfig>
  /** Id of the services/ tree it was read from (null: none); absent when the source gives no ids. */
  readonly servicesTree?: string | null
}

/** An empty registry with a cache of its own, for a worker's first load. */
export const emptyRegistry = (): Registry => ({ services: new Map(), byImage: new Map(), configs: new Map() })

/** Files beside the manifests that are never a deploy target. */
const NOT_TARGETS = new Set([SERVICE_CONFIG_FILE, 'Chart.yaml', 'Chart.lock', 'requirements.yaml'])

async function findFiles(source: TreeSource, dir: string, explicit: string | undefined, format: string | undefined): Promise<{ files: string[]; problem?: string }> {
  if (explicit) return { files: [`${dir}/${explicit}`] }
  const entries = await source.list(dir)
  if (!entries) return { files: [], problem: `${dir} does not exist` }
  const blobs = entries.filter((e) => e.kind === 'blob' && !NOT_TARGETS.has(e.name)).map((e) => `${dir}/${e.name}`)
  // A kustomization owns its folder: the resources it lists are its inputs, not targets.
  const kustomization = format === undefined || format === 'kustomize' ? blobs.find((p) => kustomizeImages.detect(p)) : undefined
  if (kustomization) return { files: [kustomization] }
  const editors = format === undefined ? EDITORS : [editorByFormat(format)]
  const files = blobs.filter((p) => editors.some((e) => e.detect(p)))
  if (files.length > 0) return { files }
  return { files: [], problem: `${dir} has no file infra-sync can edit (${editors.map((e) => e.format).join(', ')})` }
}

async function readConfig(source: TreeSource, path: string): Promise<ParsedConfig | null> {
  try {
    const bytes = await source.read(path)
    if (!bytes) return null
    return { config: parseServiceConfig(decodeFile(bytes, path), path) }
  } catch (e) {
    if (e instanceof InfraSyncError) return { error: { code: e.code, message: e.message, data: e.data } }
    throw e
  }
}

async function loadService(source: TreeSource, name: string, oid: string, configs: Map<string, ParsedConfig>): Promise<Service> {
  const dir = `${SERVICES_DIR}/${name}`
  const configPath = `${dir}/${SERVICE_CONFIG_FILE}`
  const entry = (await source.list(dir))?.find((e) => e.name === SERVICE_CONFIG_FILE)
  // By blob and path: a refusal names its file, and two folders may hold the same bytes.
  const key = entry && `${entry.oid} ${configPath}`
  let parsed = key && configs.get(key)
  if (!parsed) {
    const read = entry ? await readConfig(source, configPath) : null
    if (!read) return { name, dir, oid, config: null, error: null, targets: [] }
    parsed = read
    configs.set(key!, parsed)
  }
  if ('error' in parsed) return { name, dir, oid, config: null, error: parsed.error, targets: [] }
  const { config } = parsed
  const envs =
    config.environments ??
    ((await source.list(`${dir}/overlays`)) ?? [])
      .filter((e) => e.kind === 'tree')
      .map((e): EnvironmentConfig => ({
        name: e.name,
        path: `overlays/${e.name}`,
        update: 'commit',
        ...(config.format !== undefined && { format: config.format }),
        ...(config.key !== undefined && { key: config.key }),
      }))
  const targets: ServiceTarget[] = []
  for (const env of envs) {
    const envDir = env.path === '.' ? dir : `${dir}/${env.path}`
    const found = await findFiles(source, envDir, env.file, env.format)
    targets.push({
      environment: env.name,
      dir: envDir,
      files: found.files,
      explicit: env.file !== undefined,
      ...(found.problem !== undefined && { problem: found.problem }),
      update: env.update,
      policy: env.policy ?? config.policy,
      ...(env.format !== undefined && { format: env.format }),
      ...(env.key !== undefined && { key: env.key }),
      ...(env.pin !== undefined && { pin: env.pin }),
      ...((env.windows ?? config.windows) !== undefined && { windows: env.windows ?? config.windows }),
      application: applicationName(name, env.name, env.application),
      ...(env.promote && { promote: { ...env.promote, application: applicationName(name, env.promote.from, envs.find((x) => x.name === env.promote!.from)?.application) } }),
      ...settingsIn(env),
    })
  }
  return { name, dir, oid, config, error: null, targets }
}

/** Services of one image in the order of their folders (git's, by bytes), whichever way the index was made. */
const byFolder = (a: Service, b: Service) => Buffer.compare(Buffer.from(`${a.name}/`), Buffer.from(`${b.name}/`))

async function loadAll(source: TreeSource, todo: readonly { name: string; oid: string }[], configs: Map<string, ParsedConfig>, concurrency: number): Promise<Service[]> {
  const out: Service[] = []
  for (let i = 0; i < todo.length; i += concurrency) out.push(...(await Promise.all(todo.slice(i, i + concurrency).map((e) => loadService(source, e.name, e.oid, configs)))))
  return out
}

/** Forgets configs no folder uses any more, once they outnumber the folders. */
function pruneConfigs(configs: Map<string, ParsedConfig>, services: ReadonlyMap<string, Service>): void {
  if (configs.size <= 2 * services.size + 100) return
  const inUse = new Set([...services.values()].map((s) => s.config))
  for (const [k, v] of configs) if (!('config' in v) || !inUse.has(v.config)) configs.delete(k)
}

/**
 * Reads services/* at a snapshot. With a previous registry read from a known
 * services/ tree, only the folders whose ids differ between the two trees
 * are read again and re-indexed: the cost of a new commit is the folders it
 * changed, not the size of the repo. Otherwise every folder is listed, and
 * those with unchanged ids are still reused.
 */
export async function loadRegistry(source: TreeSource, previous: Registry = emptyRegistry(), concurrency = 16): Promise<Registry> {
  // A cache of immutable facts (config blob id → parse), shared from one registry to the next rather than copied.
  const configs = previous.configs as Map<string, ParsedConfig>
  const tree = source.treeId ? await source.treeId(SERVICES_DIR) : undefined
  if (typeof tree === 'string' && typeof previous.servicesTree === 'string' && source.changedSince) {
    if (tree === previous.servicesTree) return previous
    const changes = await source.changedSince(SERVICES_DIR, previous.servicesTree)
    if (changes) {
      // New maps layered over the old ones (layered-map.ts): the registry a planner holds never changes under it.
      const services = LayeredMap.of(previous.services)
      const removed = new Set<string>()
      const images = new Map<string, readonly Service[]>()
      const listOf = (image: string) => images.get(image) ?? previous.byImage.get(image) ?? []
      const todo: { name: string; oid: string }[] = []
      for (const c of changes) {
        const old = services.get(c.name)
        if (old) {
          removed.add(c.name)
          if (old.config) images.set(old.config.image, listOf(old.config.image).filter((x) => x !== old))
        }
        if (c.entry?.kind === 'tree') todo.push({ name: c.name, oid: c.entry.oid })
      }
      const loaded = await loadAll(source, todo, configs, concurrency)
      for (const s of loaded) if (s.config) images.set(s.config.image, [...listOf(s.config.image), s].sort(byFolder))
      const next = services.with(
        loaded.map((s) => [s.name, s] as const),
        removed,
      )
      const byImage = LayeredMap.of(previous.byImage).with(
        [...images].filter(([, list]) => list.length > 0),
        [...images].flatMap(([image, list]) => (list.length === 0 ? [image] : [])),
      )
      pruneConfigs(configs, next)
      return { services: next, byImage, configs, servicesTree: tree }
    }
  }
  const entries = ((await source.list(SERVICES_DIR)) ?? []).filter((e) => e.kind === 'tree')
  const services = new Map<string, Service>()
  const todo: { name: string; oid: string }[] = []
  let reused = 0
  for (const e of entries) {
    const old = previous.services.get(e.name)
    if (old && old.oid === e.oid) {
      services.set(e.name, old)
      reused++
    } else todo.push(e)
  }
  for (const s of await loadAll(source, todo, configs, concurrency)) services.set(s.name, s)
  // Same folders, same ids: the old index is still right.
  if (todo.length === 0 && reused === previous.services.size && previous.servicesTree === tree) return previous
  const byImage = new Map<string, Service[]>()
  for (const s of services.values()) {
    if (!s.config) continue
    const list = byImage.get(s.config.image)
    if (list) list.push(s)
    else byImage.set(s.config.image, [s])
  }
  for (const list of byImage.values()) if (list.length > 1) list.sort(byFolder)
  pruneConfigs(configs, services)
  return { services, byImage, configs, ...(tree !== undefined && { servicesTree: tree }) }
}
