import { createHash } from 'node:crypto'
import type { TreeEntry, TreeSource } from '../../src/projects/tree-source.js'

/** A TreeSource over a map of path → content, with content-derived ids like git's, counting reads. */
export class MemoryTree implements TreeSource {
  reads = 0
  lists = 0
  constructor(private readonly files: Record<string, string>) {}

  private idOf(prefix: string): string {
    const h = createHash('sha1')
    for (const [p, c] of Object.entries(this.files).sort()) if (p.startsWith(prefix)) h.update(`${p}\0${c}\0`)
    return h.digest('hex')
  }

  async list(path: string): Promise<readonly TreeEntry[] | null> {
    this.lists++
    const prefix = path === '' ? '' : `${path}/`
    const names = new Map<string, TreeEntry>()
    for (const p of Object.keys(this.files)) {
      if (!p.startsWith(prefix)) continue
      const rest = p.slice(prefix.length)
      const slash = rest.indexOf('/')
      const name = slash < 0 ? rest : rest.slice(0, slash)
      names.set(name, { name, kind: slash < 0 ? 'blob' : 'tree', oid: slash < 0 ? this.idOf(p) : this.idOf(`${prefix}${name}/`) })
    }
    return names.size === 0 ? null : [...names.values()]
  }

  async read(path: string): Promise<Uint8Array | null> {
    this.reads++
    const c = this.files[path]
    return c === undefined ? null : Buffer.from(c)
  }
}

export function kustomization(image: string, tag: string): string {
  return `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\nimages:\n  - name: ${image}\n    newTag: ${tag}\n`
}

/** A service folder: infra-sync.yaml plus one overlay per environment. */
export function serviceFiles(name: string, config: string, envs: Record<string, string>, image: string): Record<string, string> {
  const files: Record<string, string> = { [`services/${name}/infra-sync.yaml`]: config, [`services/${name}/base/kustomization.yaml`]: 'resources: []\n' }
  for (const [env, tag] of Object.entries(envs)) files[`services/${name}/overlays/${env}/kustomization.yaml`] = kustomization(image, tag)
  return files
}
