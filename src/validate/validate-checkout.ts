import { emptyRegistry, loadRegistry, type Registry } from '../projects/registry.js'
import type { TreeSource } from '../projects/tree-source.js'
import { findArgoFiles } from './argo-files.js'
import { checkApplicationSets } from './check-applicationset.js'
import { checkService, type ServiceReport } from './check-services.js'
import { compareFindings, type Finding } from './finding.js'

/** What one run learnt, so the next (in `--watch`) re-checks only the folders whose ids changed. */
export interface CheckoutState {
  readonly registry: Registry
  readonly reports: ReadonlyMap<string, ServiceReport>
}

export interface CheckoutResult {
  /** Sorted by file, then position. Empty: the checkout is valid. */
  readonly findings: readonly Finding[]
  /** Service folders with an infra-sync.yaml. */
  readonly services: number
  readonly state: CheckoutState
}

const CONCURRENCY = 16

/**
 * Checks a checkout as a pull request to the infra repo would be checked,
 * reading only through `source` (a TreeSource: a working copy, or a commit).
 * With `previous`, a service folder whose id is unchanged keeps its findings;
 * the rules across folders (one image claimed twice, the ApplicationSet's)
 * run again over every folder, from what the reports remember.
 */
export async function validateCheckout(source: TreeSource, previous?: CheckoutState): Promise<CheckoutResult> {
  // A fresh parse cache: a working copy's file ids say nothing about content.
  const registry = await loadRegistry(source, previous ? { ...previous.registry, configs: new Map() } : emptyRegistry())
  const reports = new Map<string, ServiceReport>()
  const todo = []
  for (const service of registry.services.values()) {
    const old = previous?.reports.get(service.name)
    if (old && old.oid === service.oid && previous!.registry.services.get(service.name) === service) reports.set(service.name, old)
    else todo.push(service)
  }
  for (let i = 0; i < todo.length; i += CONCURRENCY) {
    for (const r of await Promise.all(todo.slice(i, i + CONCURRENCY).map(async (s) => [s.name, await checkService(source, s)] as const))) reports.set(r[0], r[1])
  }

  const findings: Finding[] = [...reports.values()].flatMap((r) => r.findings)
  findings.push(...claimedTwice(registry, reports))
  const argo = await findArgoFiles(source)
  if (argo.applicationSets.length > 0) findings.push(...(await checkApplicationSets(source, argo, registry, reports)))
  findings.sort(compareFindings)
  const services = [...reports.values()].filter((r) => r.configFile !== null).length
  return { findings, services, state: { registry, reports } }
}

/** Two folders that claim one image for one source: every build would deploy to both, which is rarely what anyone meant. */
function claimedTwice(registry: Registry, reports: ReadonlyMap<string, ServiceReport>): Finding[] {
  const out: Finding[] = []
  for (const list of registry.byImage.values()) {
    if (list.length < 2) continue
    const bySource = new Map<string, string[]>()
    for (const s of list) bySource.set(s.config!.source, [...(bySource.get(s.config!.source) ?? []), s.name])
    for (const [sourceRepo, names] of bySource) {
      if (names.length < 2) continue
      for (const name of names) {
        const r = reports.get(name)!
        const others = names.filter((n) => n !== name).map((n) => registry.services.get(n)!.dir)
        out.push({ file: r.configFile!, line: r.imageAt.line, column: r.imageAt.column, code: 'IMAGE_CLAIMED_TWICE', message: `${list[0]!.config!.image} from ${sourceRepo} is also claimed by ${others.join(', ')}` })
      }
    }
  }
  return out
}
