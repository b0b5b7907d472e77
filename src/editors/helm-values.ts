import { isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml'
import { ImageNotFoundError, ValidationError, YamlError } from '../core/errors.js'
import { parseImageName, sameImage } from '../core/image-ref.js'
import type { EditorOptions, ImageEditor, OpenedImage } from './editor.js'
import { forEachMap, isInlineScalar, openSites, type ImageSite } from './image-sites.js'
import { pairOf, parseYamlDocs, scalarString, type ParsedYaml } from './yaml-text.js'

/**
 * Helm values files. Without a key, every place a chart conventionally puts
 * an image is found by shape: a map with `repository` (and `registry`) plus
 * `tag` / `digest`, or a `…image:` key holding `repo:tag`. A `key` (from
 * infra-sync.yaml or --key) names the place exactly: `api.image.tag`,
 * `api.image` (a map or a `repo:tag` string), `workers[0].image`.
 */
type AnyPair = Pair<Node, Node | null>

const VALUES_FILE = /(^|\/)values[^/]*\.ya?ml$/
const IMAGE_KEY = /image$/i

/** `a.b[0].c` or `a.b.0.c` → ['a', 'b', 0, 'c']. */
export function parseKeyPath(key: string): (string | number)[] {
  if (typeof key !== 'string' || key.trim() === '' || key.length > 512) throw new ValidationError(`invalid key path ${JSON.stringify(key)}`, { key }, 'INVALID_KEY')
  const out: (string | number)[] = []
  for (const part of key.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part)
    if (!m || (m[1] === '' && m[2] === '')) throw new ValidationError(`invalid key path ${JSON.stringify(key)}`, { key }, 'INVALID_KEY')
    if (m[1] !== '') out.push(/^\d+$/.test(m[1]!) ? Number(m[1]) : m[1]!)
    for (const i of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(i[1]))
  }
  return out
}

/** The image a `repository` map names, with its `registry` if it has one. */
function mapImage(map: YAMLMap): string | undefined {
  const repo = scalarString(pairOf(map, 'repository')?.value)
  if (!repo) return undefined
  const registry = scalarString(pairOf(map, 'registry')?.value)
  return registry ? `${registry.replace(/\/+$/, '')}/${repo}` : repo
}

function splitSite(map: YAMLMap): ImageSite {
  const tag = pairOf(map, 'tag')
  const digest = pairOf(map, 'digest')
  const anchor = (pairOf(map, 'repository') ?? map.items[map.items.length - 1]) as AnyPair | undefined
  return { kind: 'split', map, ...(tag && { tag }), ...(digest && { digest }), ...(anchor && { anchor }) }
}

function byShape(parsed: ParsedYaml, image: string): ImageSite[] {
  const sites: ImageSite[] = []
  for (const doc of parsed.docs) {
    forEachMap(doc.contents, (map) => {
      const named = mapImage(map)
      if (named && sameImage(named, image)) sites.push(splitSite(map))
      for (const p of map.items as AnyPair[]) {
        if (!isScalar(p.key) || !IMAGE_KEY.test(String(p.key.value)) || !isInlineScalar(p.value)) continue
        const v = scalarString(p.value)
        if (v && sameImage(v, image)) sites.push({ kind: 'ref', node: p.value })
      }
    })
  }
  return sites
}

function notFound(path: string, key: string, why: string): never {
  throw new ImageNotFoundError(`${path}: ${key}: ${why}`, { path, key })
}

function byKey(parsed: ParsedYaml, image: string, key: string, path: string): ImageSite[] {
  const segs = parseKeyPath(key)
  const sites: ImageSite[] = []
  for (const doc of parsed.docs) {
    let node: unknown = doc.contents
    let parent: YAMLMap | null = null
    let missingAt = -1
    for (const [i, seg] of segs.entries()) {
      if (isMap(node) && typeof seg === 'string') {
        parent = node
        const pair = pairOf(node, seg)
        node = pair ? pair.value : undefined
      } else {
        parent = null
        node = isSeq(node) && typeof seg === 'number' ? node.items[seg] : undefined
      }
      if (node === undefined) {
        missingAt = i
        break
      }
    }
    // Only a missing last `tag` may be added (after its map's repository); anything else missing is a wrong key.
    const addTag = missingAt === segs.length - 1 && parent !== null && segs[missingAt] === 'tag'
    if (missingAt >= 0 && !addTag) {
      if (parsed.docs.length === 1) notFound(path, key, 'no such key')
      continue
    }
    const lastSeg = segs[segs.length - 1]
    const check = (named: string | undefined) => {
      if (named && !sameImage(named, image)) notFound(path, key, `names ${named}, not ${image}`)
    }
    if (isMap(node)) {
      check(mapImage(node))
      sites.push(splitSite(node))
    } else if ((lastSeg === 'tag' || lastSeg === 'digest') && parent) {
      check(mapImage(parent))
      sites.push(splitSite(parent))
    } else if (isInlineScalar(node)) {
      const v = scalarString(node)
      if (!v || !sameImage(v, image)) notFound(path, key, v ? `holds ${v}, not ${image}` : 'is empty; give the image as repo:tag there first')
      sites.push({ kind: 'ref', node })
    } else {
      throw new YamlError('YAML_UNSUPPORTED', `${path}: ${key} is not a value infra-sync can set`, { path, key })
    }
  }
  return sites
}

function find(text: string, image: string, path: string, options: EditorOptions): { parsed: ParsedYaml; sites: ImageSite[] } {
  const parsed = parseYamlDocs(text, path)
  return { parsed, sites: options.key ? byKey(parsed, image, options.key, path) : byShape(parsed, image) }
}

function open(text: string, image: string, path = 'values.yaml', options: EditorOptions = {}): OpenedImage {
  parseImageName(image)
  const { parsed, sites } = find(text, image, path, options)
  return openSites(parsed, sites, path, (t) => find(t, image, path, options).sites)
}

export const helmValues: ImageEditor = {
  format: 'helm',
  detect: (path) => VALUES_FILE.test(path),
  open,
  read: (text, image, path, options) => open(text, image, path, options).current,
  set: (text, change, path, options) => open(text, change.image, path, options).set(change),
}
