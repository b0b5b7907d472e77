import { parseAllDocuments } from 'yaml'
import { InfraSyncError } from '../core/errors.js'
import { decodeFile } from '../editors/file-codec.js'
import { SERVICES_DIR } from '../projects/registry.js'
import type { TreeSource } from '../projects/tree-source.js'
import { YamlPositions, type Position } from './yaml-positions.js'

/** A string in an Argo CD manifest, and where it is written. */
export interface Located {
  readonly value: string
  readonly at: Position
}

export interface DirectoryRule {
  readonly path: string
  readonly exclude: boolean
}

export interface ApplicationSetFile {
  readonly file: string
  readonly goTemplate: boolean
  /** The git directory generators (top level, or inside a matrix or merge generator). */
  readonly generators: readonly { readonly repoURL: Located | null; readonly directories: readonly DirectoryRule[] }[]
  readonly name: Located | null
  readonly namespace: Located | null
  readonly project: string | null
  readonly repoURLs: readonly Located[]
}

export interface AppProjectFile {
  readonly file: string
  readonly name: string
  readonly sourceRepos: readonly Located[]
  /** Destination namespace patterns; null: the project names none (then no namespace rule is checked). */
  readonly namespaces: readonly string[] | null
}

export interface ArgoFiles {
  readonly applicationSets: readonly ApplicationSetFile[]
  readonly projects: readonly AppProjectFile[]
}

/** Folders never searched for Argo CD manifests: services are workloads, the rest is tooling. */
const SKIP = new Set(['node_modules', 'dist', 'coverage'])
const MAX_DEPTH = 4

/**
 * Finds every ApplicationSet and AppProject in the checkout outside
 * services/ (argocd/ in the usual layout, infra-template/argocd/ in this
 * project's own), at most four folders deep. Files that do not parse are
 * passed over: they are not infra-sync's to judge.
 */
export async function findArgoFiles(source: TreeSource): Promise<ArgoFiles> {
  const applicationSets: ApplicationSetFile[] = []
  const projects: AppProjectFile[] = []
  const walk = async (dir: string, depth: number): Promise<void> => {
    for (const e of (await source.list(dir)) ?? []) {
      const p = dir === '' ? e.name : `${dir}/${e.name}`
      if (e.name.startsWith('.') || SKIP.has(e.name) || (dir === '' && e.name === SERVICES_DIR)) continue
      if (e.kind === 'tree' && depth < MAX_DEPTH) await walk(p, depth + 1)
      else if (e.kind === 'blob' && /\.ya?ml$/.test(e.name)) await readArgo(source, p, applicationSets, projects)
    }
  }
  await walk('', 0)
  return { applicationSets, projects }
}

async function readArgo(source: TreeSource, file: string, sets: ApplicationSetFile[], projects: AppProjectFile[]): Promise<void> {
  let text: string
  try {
    const bytes = await source.read(file)
    if (!bytes) return
    text = decodeFile(bytes, file)
  } catch (e) {
    if (e instanceof InfraSyncError) return
    throw e
  }
  // Most YAML in a checkout is neither; the string test spares parsing it.
  if (!text.includes('ApplicationSet') && !text.includes('AppProject')) return
  let docs: unknown[]
  try {
    docs = parseAllDocuments(text, { uniqueKeys: false }) as unknown as unknown[]
  } catch {
    return
  }
  docs.forEach((d, index) => {
    const doc = d as { errors: unknown[]; toJS(o: object): unknown }
    if (doc.errors.length > 0) return
    let value: unknown
    try {
      value = doc.toJS({ maxAliasCount: 100 })
    } catch {
      return
    }
    const o = obj(value)
    if (!String(o.apiVersion ?? '').startsWith('argoproj.io/')) return
    const positions = () => new YamlPositions(text, index)
    if (o.kind === 'ApplicationSet') sets.push(applicationSet(file, o, positions()))
    else if (o.kind === 'AppProject') projects.push(appProject(file, o, positions()))
  })
}

function applicationSet(file: string, o: Record<string, unknown>, pos: YamlPositions): ApplicationSetFile {
  const spec = obj(o.spec)
  const generators: ApplicationSetFile['generators'][number][] = []
  const visit = (list: unknown, at: string, depth: number) => {
    arr(list).forEach((g, i) => {
      const gen = obj(g)
      const git = obj(gen.git)
      if (gen.git !== undefined) {
        generators.push({
          repoURL: located(git.repoURL, `${at}[${i}].git.repoURL`, pos),
          directories: arr(git.directories).flatMap((d) => {
            const r = obj(d)
            return typeof r.path === 'string' ? [{ path: r.path, exclude: r.exclude === true }] : []
          }),
        })
      }
      // Matrix and merge generators nest generators: a git one inside still registers folders.
      for (const k of ['matrix', 'merge'] as const) if (depth < 2 && gen[k] !== undefined) visit(obj(gen[k]).generators, `${at}[${i}].${k}.generators`, depth + 1)
    })
  }
  visit(spec.generators, 'spec.generators', 0)
  const template = obj(spec.template)
  const tspec = obj(template.spec)
  const repoURLs = [located(obj(tspec.source).repoURL, 'spec.template.spec.source.repoURL', pos)]
  arr(tspec.sources).forEach((s, i) => repoURLs.push(located(obj(s).repoURL, `spec.template.spec.sources[${i}].repoURL`, pos)))
  return {
    file,
    goTemplate: spec.goTemplate === true,
    generators,
    name: located(obj(template.metadata).name, 'spec.template.metadata.name', pos),
    namespace: located(obj(tspec.destination).namespace, 'spec.template.spec.destination.namespace', pos),
    project: typeof tspec.project === 'string' ? tspec.project : null,
    repoURLs: repoURLs.filter((x): x is Located => x !== null),
  }
}

function appProject(file: string, o: Record<string, unknown>, pos: YamlPositions): AppProjectFile {
  const spec = obj(o.spec)
  const destinations = spec.destinations === undefined ? null : arr(spec.destinations).flatMap((d) => (typeof obj(d).namespace === 'string' ? [obj(d).namespace as string] : []))
  return {
    file,
    name: String(obj(o.metadata).name ?? ''),
    sourceRepos: arr(spec.sourceRepos).flatMap((r, i) => located(r, `spec.sourceRepos[${i}]`, pos) ?? []),
    namespaces: destinations,
  }
}

function located(v: unknown, path: string, pos: YamlPositions): Located | null {
  return typeof v === 'string' ? { value: v, at: pos.of(path) } : null
}

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {})
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
