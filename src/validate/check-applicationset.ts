import type { Registry } from '../projects/registry.js'
import { SERVICES_DIR } from '../projects/registry.js'
import type { TreeSource } from '../projects/tree-source.js'
import type { AppProjectFile, ArgoFiles, DirectoryRule } from './argo-files.js'
import type { ServiceReport } from './check-services.js'
import type { Finding, FindingCode } from './finding.js'
import { globMatch } from './path-glob.js'
import { isDnsLabel, renderPathTemplate } from './path-template.js'
import type { Position } from './yaml-positions.js'

const START: Position = { line: 1, column: 1 }
const MAX_GLOB_DEPTH = 8

/**
 * The rules that hold only where Argo CD deploys the folders: what each
 * ApplicationSet's git directory generator registers against the services'
 * environments, both ways; the names and namespaces those folders render;
 * the repository URLs the ApplicationSet and its AppProject name.
 */
export async function checkApplicationSets(source: TreeSource, argo: ArgoFiles, registry: Registry, reports: ReadonlyMap<string, ServiceReport>): Promise<Finding[]> {
  const findings: Finding[] = []
  const add = (file: string, at: Position, code: FindingCode, message: string) => findings.push({ file, line: at.line, column: at.column, code, message })
  const registered = new Set<string>()
  const names = new Map<string, string[]>()

  for (const set of argo.applicationSets) {
    const folders = await registeredFolders(source, set.generators.flatMap((g) => g.directories))
    const project = set.project === null || set.project.includes('{{') ? undefined : argo.projects.find((p) => p.name === set.project)
    for (const folder of folders) {
      registered.add(folder)
      const name = set.name && renderPathTemplate(set.name.value, folder, set.goTemplate)
      if (name !== null && name !== undefined) {
        if (!isDnsLabel(name)) add(folder, START, 'APP_NAME_INVALID', `renders the Application name "${name}" (${set.file}), not a lowercase DNS-1123 label of at most 63 characters`)
        names.set(name, [...(names.get(name) ?? []), folder])
      }
      const namespace = set.namespace && renderPathTemplate(set.namespace.value, folder, set.goTemplate)
      if (namespace === null || namespace === undefined) continue
      if (!isDnsLabel(namespace)) add(folder, START, 'NAMESPACE_INVALID', `renders the namespace "${namespace}" (${set.file}), not a lowercase DNS-1123 label of at most 63 characters`)
      else if (project && project.namespaces && !permits(project.namespaces, namespace)) {
        add(folder, START, 'NAMESPACE_NOT_PERMITTED', `renders the namespace "${namespace}", which AppProject ${project.name} (${project.file}) does not allow`)
      }
    }
    repoUrls(set, project, add)
  }
  for (const [name, folders] of names) {
    if (folders.length < 2) continue
    for (const folder of folders) add(folder, START, 'APP_NAME_DUPLICATE', `renders the Application name "${name}", as ${folders.filter((f) => f !== folder).join(', ')} does`)
  }
  folderRules(registered, registry, reports, add)
  return findings
}

type Add = (file: string, at: Position, code: FindingCode, message: string) => void

function folderRules(registered: ReadonlySet<string>, registry: Registry, reports: ReadonlyMap<string, ServiceReport>, add: Add): void {
  for (const folder of registered) {
    const segments = folder.split('/')
    const service = segments[0] === SERVICES_DIR ? registry.services.get(segments[1] ?? '') : undefined
    const report = service && reports.get(service.name)
    if (!service || !report?.configFile) {
      add(folder, START, 'FOLDER_WITHOUT_CONFIG', `the ApplicationSet deploys this folder, but no infra-sync.yaml registers it${service ? ` (${service.dir} has none)` : ''}`)
      continue
    }
    // A folder whose config does not parse is reported there; what it would register is unknown.
    if (!service.config) continue
    if (!service.targets.some((t) => t.dir === folder)) {
      add(report.configFile, report.environmentsAt, 'FOLDER_WITHOUT_CONFIG', `the ApplicationSet deploys ${folder}, but no environment here has that path, so infra-sync never updates it`)
    }
  }
  for (const service of registry.services.values()) {
    const report = reports.get(service.name)
    if (!service.config || !report?.configFile) continue
    for (const t of service.targets) {
      if (registered.has(t.dir) || report.missingDirs.has(t.dir)) continue
      const at = report.environmentAt.get(t.environment)
      add(at ? report.configFile : t.dir, at ?? START, 'ENVIRONMENT_NOT_DEPLOYED', `environment ${t.environment} (${t.dir}) is not a folder the ApplicationSet deploys, so no Application runs what infra-sync changes there`)
    }
  }
}

function repoUrls(set: ArgoFiles['applicationSets'][number], project: AppProjectFile | undefined, add: Add): void {
  for (const url of set.repoURLs) {
    if (url.value.includes('{{')) continue
    for (const g of set.generators) {
      if (g.repoURL && !g.repoURL.value.includes('{{') && normalizeUrl(g.repoURL.value) !== normalizeUrl(url.value)) {
        add(set.file, url.at, 'REPO_URL_MISMATCH', `the Applications deploy from ${url.value}, but the git generator reads folders from ${g.repoURL.value}`)
      }
    }
    if (project && !project.sourceRepos.some((r) => r.value === '*' || globMatch(normalizeUrl(r.value), normalizeUrl(url.value), true))) {
      // Where people forget it: the AppProject's list, the third place the README names.
      add(project.file, project.sourceRepos[0]?.at ?? START, 'REPO_URL_MISMATCH', `sourceRepos of AppProject ${project.name} does not allow ${url.value}, which ${set.file} deploys from ("repo not permitted in project")`)
    }
  }
}

/** Argo CD compares repository URLs without case, a trailing slash or `.git`. */
const normalizeUrl = (u: string) => u.trim().toLowerCase().replace(/\/+$/, '').replace(/\.git$/, '')

/** An AppProject destination namespace list: `!pattern` denies, a plain pattern allows. */
function permits(patterns: readonly string[], namespace: string): boolean {
  if (patterns.some((p) => p.startsWith('!') && globMatch(p.slice(1), namespace, true))) return false
  return patterns.some((p) => !p.startsWith('!') && globMatch(p, namespace, true))
}

/** The folders a git directory generator registers: every folder an include rule matches and no exclude rule does. */
export async function registeredFolders(source: TreeSource, rules: readonly DirectoryRule[]): Promise<string[]> {
  const found = new Set<string>()
  for (const r of rules) if (!r.exclude) for (const d of await expand(source, r.path)) found.add(d)
  const excludes = rules.filter((r) => r.exclude).map((r) => r.path.replace(/^\/+|\/+$/g, ''))
  return [...found].filter((d) => !excludes.some((x) => globMatch(x, d))).sort()
}

async function expand(source: TreeSource, pattern: string): Promise<string[]> {
  const segments = pattern.split('/').filter((s) => s !== '' && s !== '.')
  let current = ['']
  for (const seg of segments) {
    const next: string[] = []
    if (seg === '**') {
      for (const d of current) next.push(...(await descendants(source, d, MAX_GLOB_DEPTH)))
    } else {
      for (const d of current) {
        for (const e of (await source.list(d)) ?? []) {
          if (e.kind !== 'tree' || e.name.startsWith('.')) continue
          if (e.name === seg || globMatch(seg, e.name)) next.push(d === '' ? e.name : `${d}/${e.name}`)
        }
      }
    }
    current = next
  }
  return current.filter((d) => d !== '')
}

async function descendants(source: TreeSource, dir: string, depth: number): Promise<string[]> {
  const out = [dir]
  if (depth === 0) return out
  for (const e of (await source.list(dir)) ?? []) {
    if (e.kind === 'tree' && !e.name.startsWith('.')) out.push(...(await descendants(source, dir === '' ? e.name : `${dir}/${e.name}`, depth - 1)))
  }
  return out
}
