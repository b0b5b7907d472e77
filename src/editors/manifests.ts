import { isMap, isSeq, type YAMLMap } from 'yaml'
import { parseImageName } from '../core/image-ref.js'
import type { ImageEditor, OpenedImage } from './editor.js'
import { isInlineScalar, openSites, refSite, type ImageSite } from './image-sites.js'
import { pairOf, parseYamlDocs, scalarString, type ParsedYaml } from './yaml-text.js'

/**
 * Plain Kubernetes manifests: the `image` of every container, init container
 * and ephemeral container of the workload kinds, and the `image.reference` of
 * their image volumes (an OCI image mounted as a volume), in every document of
 * the file. Other kinds (Services, ConfigMaps, custom resources) are never touched.
 */
const POD_SPEC_PATH: Record<string, readonly string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  Rollout: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
}
const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers']
const YAML_FILE = /\.ya?ml$/

function at(map: YAMLMap, path: readonly string[]): YAMLMap | null {
  let node: unknown = map
  for (const key of path) {
    if (!isMap(node)) return null
    node = pairOf(node, key)?.value
  }
  return isMap(node) ? node : null
}

function find(parsed: ParsedYaml, image: string, file: string): ImageSite[] {
  const sites: ImageSite[] = []
  // An occurrence of the image that does not parse refuses the file (refSite), never left behind while the others change.
  const add = (v: unknown) => {
    const site = isInlineScalar(v) ? refSite(parsed, v, image, file) : null
    if (site) sites.push(site)
  }
  for (const doc of parsed.docs) {
    const root = doc.contents
    if (!isMap(root)) continue
    const kind = scalarString(pairOf(root, 'kind')?.value)
    const path = kind !== undefined ? POD_SPEC_PATH[kind] : undefined
    const spec = path && at(root, path)
    if (!spec) continue
    for (const list of CONTAINER_LISTS) {
      const containers = pairOf(spec, list)?.value
      if (!isSeq(containers)) continue
      for (const c of containers.items) {
        if (!isMap(c)) continue
        add(pairOf(c, 'image')?.value)
      }
    }
    const volumes = pairOf(spec, 'volumes')?.value
    for (const vol of isSeq(volumes) ? volumes.items : []) {
      const source = isMap(vol) ? pairOf(vol, 'image')?.value : undefined
      if (isMap(source)) add(pairOf(source, 'reference')?.value)
    }
  }
  return sites
}

function open(text: string, image: string, path = 'manifest.yaml'): OpenedImage {
  parseImageName(image)
  const parsed = parseYamlDocs(text, path)
  return openSites(parsed, find(parsed, image, path), path, (t) => find(parseYamlDocs(t, path), image, path), { image })
}

export const manifests: ImageEditor = {
  format: 'manifests',
  detect: (path) => YAML_FILE.test(path),
  open,
  read: (text, image, path) => open(text, image, path).current,
  set: (text, change, path) => open(text, change.image, path).set(change),
}
