import { InfraSyncError } from '../core/errors.js'
import { decodeFile } from '../editors/file-codec.js'
import { openImage } from '../editors/registry.js'
import type { ObjectStore } from '../git/object-store.js'
import { GitSnapshot } from '../git/snapshot.js'
import { emptyRegistry, loadRegistry, type Registry, type Service, type ServiceTarget } from '../projects/registry.js'
import type { ServiceState, TargetState } from './service-view.js'

/**
 * Reads what each service's environments hold at a head, for `status`: the
 * registry as the planner loads it, and each target's value through the same
 * editor the worker would change it with (openImage). Kept between calls: the
 * registry is re-read incrementally, and a service's states are reused while
 * its folder's tree id is unchanged (its targets' files live inside it).
 */
export class ServiceStates {
  private registry: Registry = emptyRegistry()
  private readonly states = new WeakMap<Service, ServiceState>()

  constructor(private readonly objects: ObjectStore) {}

  /** Every service at `head` (null: the branch has no commit yet), or only `only`. */
  async at(head: string | null, only?: string): Promise<ServiceState[]> {
    if (head === null) return []
    const snapshot = await GitSnapshot.at(this.objects, head)
    this.registry = await loadRegistry(snapshot, this.registry)
    const services = only !== undefined ? [this.registry.services.get(only)].filter((s) => s !== undefined) : [...this.registry.services.values()]
    const out: ServiceState[] = []
    for (const s of services.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      let state = this.states.get(s)
      if (!state) {
        state = await readService(snapshot, s)
        this.states.set(s, state)
      }
      out.push(state)
    }
    return out
  }
}

async function readService(snapshot: GitSnapshot, s: Service): Promise<ServiceState> {
  if (s.error) return { service: s.name, error: { code: s.error.code, message: s.error.message }, targets: [] }
  // A folder without infra-sync.yaml is not a service infra-sync deploys: it is listed with no environments.
  if (!s.config) return { service: s.name, targets: [] }
  const targets: TargetState[] = []
  for (const t of s.targets) targets.push(await readTarget(snapshot, s, t))
  return { service: s.name, image: s.config.image, targets }
}

async function readTarget(snapshot: GitSnapshot, s: Service, t: ServiceTarget): Promise<TargetState> {
  const base: TargetState = { environment: t.environment, update: t.update, policy: t.policy, ...(t.pin !== undefined && { pin: t.pin }), ...(t.windows !== undefined && { windows: t.windows }) }
  if (t.problem !== undefined) return { ...base, problem: { code: 'TARGET_MISSING', message: t.problem } }
  const config = s.config!
  for (const file of t.files) {
    try {
      const bytes = await snapshot.read(file)
      if (bytes === null) continue
      const opened = openImage(file, decodeFile(bytes, file), config.imageAsWritten, { ...t, imagePolicies: config.imagePolicies })
      if (opened.current === null) continue
      const { tag, digest } = opened.current
      return { ...base, file, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }), ...(opened.pinned && { markerPin: true }) }
    } catch (e) {
      if (e instanceof InfraSyncError) return { ...base, file, problem: { code: e.code, message: e.message } }
      throw e
    }
  }
  // No file sets the image (yet): a kustomization adds it on the first deploy.
  return base
}
