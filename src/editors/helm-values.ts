import { isAlias, isMap, isScalar, Pair, type Document, type Node, type Scalar, type YAMLMap } from 'yaml'
import { ImageMismatchError, ImageNotFoundError, InvalidImageRefError, YamlError } from '../core/errors.js'
import { isValidDigest, isValidTag, parseImageName, parseImageRef, sameImage } from '../core/image-ref.js'
import type { EditorOptions, ImageEditor, OpenedImage } from './editor.js'
import { formatKeyPath, ownerPair, parseKeyPath, walkKeyPath, type KeyMiss, type KeySegment } from './helm-key-path.js'
import { forEachMap, isInlineScalar, openSites, refSite, where, type ImageSite } from './image-sites.js'
import { pairOf, parseYamlDocs, scalarString, type ParsedYaml } from './yaml-text.js'

export { parseKeyPath } from './helm-key-path.js'

/**
 * Helm values files. Without a key, every place a chart conventionally puts
 * an image is found by shape: a map with `repository` (and `registry`) plus
 * `tag` (or Bitnami's `version`) / `digest`, or a `…image:` key holding
 * `repo:tag`. A `key` (from infra-sync.yaml or --key) names the place
 * exactly: `api.image.tag`, `api.image` (a map or a `repo:tag` string),
 * `global.imageTag` (a bare tag), `workers[0].image`.
 */
type AnyPair = Pair<Node, Node | null>

const VALUES_FILE = /(^|\/)values[^/]*\.ya?ml$/
const IMAGE_KEY = /image$/i
/** Last segments that name a part of an image map: the key means the map. */
const MAP_PARTS = new Set(['tag', 'version', 'digest', 'repository', 'registry'])

/** The image a `repository` map names, with its `registry` if it has one. */
function mapImage(map: YAMLMap): string | undefined {
  const repo = scalarString(pairOf(map, 'repository')?.value)
  if (!repo) return undefined
  const registry = scalarString(pairOf(map, 'registry')?.value)
  return registry ? `${registry.replace(/\/+$/, '')}/${repo}` : repo
}

/** A map's tag: `tag`, else (beside a `repository`, as Bitnami charts and Renovate read it) `version`. */
function tagPair(map: YAMLMap): AnyPair | undefined {
  return pairOf(map, 'tag') ?? (pairOf(map, 'repository') ? pairOf(map, 'version') : undefined)
}

/** A pair to edit a scalar through when no map holds it (an anchored list item): only its value is ever used. */
function standIn(node: unknown): AnyPair | undefined {
  return isInlineScalar(node) && scalarString(node) ? new Pair<Node, Node | null>(node, node) : undefined
}

/** With a key, an alias-valued tag or digest is edited at its anchor, like every other node the key reaches. */
function anchored(doc: Document.Parsed | undefined, pair: AnyPair | undefined): AnyPair | undefined {
  if (!doc || !pair || !isAlias(pair.value)) return pair
  const target = pair.value.resolve(doc)
  return ownerPair(doc, target) ?? standIn(target) ?? pair
}

function splitSite(map: YAMLMap, doc?: Document.Parsed, tag: AnyPair | undefined = tagPair(map)): ImageSite {
  const t = anchored(doc, tag)
  const digest = anchored(doc, pairOf(map, 'digest'))
  const anchor = (pairOf(map, 'repository') ?? map.items[map.items.length - 1]) as AnyPair | undefined
  return { kind: 'split', map, ...(t && { tag: t }), ...(digest && { digest }), ...(anchor && { anchor }) }
}

function byShape(parsed: ParsedYaml, image: string, path: string): ImageSite[] {
  const sites: ImageSite[] = []
  for (const doc of parsed.docs) {
    forEachMap(doc.contents, (map) => {
      const named = mapImage(map)
      if (named && sameImage(named, image)) sites.push(splitSite(map))
      for (const p of map.items as AnyPair[]) {
        if (!isScalar(p.key) || !IMAGE_KEY.test(String(p.key.value)) || !isInlineScalar(p.value)) continue
        // An unreadable reference of the image refuses the file rather than being left behind.
        const site = refSite(parsed, p.value, image, path)
        if (site) sites.push(site)
      }
    })
  }
  return sites
}

interface KeyContext {
  readonly parsed: ParsedYaml
  readonly path: string
  readonly key: string
  readonly image: string
  readonly segs: readonly KeySegment[]
}

function notFound(ctx: KeyContext, reason: string, why: string, extra: Record<string, unknown> = {}): ImageNotFoundError {
  return new ImageNotFoundError(`${ctx.path}: key ${ctx.key} (for ${ctx.image}): ${why}`, { path: ctx.path, key: ctx.key, image: ctx.image, reason, ...extra })
}

function missError(ctx: KeyContext, miss: KeyMiss): ImageNotFoundError {
  const seg = ctx.segs[miss.at]!
  const where = miss.at === 0 ? 'the top level' : formatKeyPath(ctx.segs.slice(0, miss.at))
  const via = miss.alias !== undefined ? ` (reached through the alias *${miss.alias})` : ''
  const why = {
    'no-such-key': `${where}${via} has no key ${JSON.stringify(String(seg))}`,
    'not-a-map': miss.found ? `${where}${via} is the value ${JSON.stringify(miss.found)}, not a map with ${JSON.stringify(String(seg))}` : `${where}${via} is empty, not a map with ${JSON.stringify(String(seg))}`,
    'list-needs-index': `${where}${via} is a list: say which item, as ${where}[0].${String(seg)}`,
    'index-out-of-range': `${where}${via} has ${miss.items} items, no [${String(seg)}]`,
  }[miss.reason]
  return notFound(ctx, miss.reason, why, { at: where, ...(miss.alias !== undefined && { alias: miss.alias }) })
}

function mismatch(ctx: KeyContext, found: string): ImageMismatchError {
  return new ImageMismatchError(`${ctx.path}: key ${ctx.key} names ${found}, not ${ctx.image}; refusing to overwrite another image`, {
    path: ctx.path,
    key: ctx.key,
    image: ctx.image,
    found,
  })
}

/**
 * Whether a value at a key is a tag rather than an image name. The two share a
 * grammar (`latest` could be either), so a value counts as a tag only when it
 * looks like a version or the key is named for a tag (`imageTag`, `version`).
 */
function isBareTag(value: string, segs: readonly KeySegment[]): boolean {
  const at = value.indexOf('@')
  const tag = at < 0 ? value : value.slice(0, at)
  if (!isValidTag(tag) || (at >= 0 && !isValidDigest(value.slice(at + 1)))) return false
  return /^v?\d/.test(tag) || keyNamesTag(segs)
}

function keyNamesTag(segs: readonly KeySegment[]): boolean {
  const last = segs[segs.length - 1]
  return typeof last === 'string' && /(tag|version)$/i.test(last)
}

/**
 * A value that is a bare digest (`imageDigest: sha256:…`), or any value at a
 * key named for one: the chart pulls `repository@digest`, so the digest is
 * all there is to set. One that is not a valid digest is refused with its
 * line rather than read as an image named `sha256`.
 */
function digestAtKey(ctx: KeyContext, node: Scalar, pair: AnyPair | undefined): ImageSite | null {
  const v = scalarString(node)
  const last = ctx.segs[ctx.segs.length - 1]
  const named = typeof last === 'string' && /digest$/i.test(last)
  if (v ? !named && !/^sha(256|512):/.test(v) : !named || !pair) return null
  if (v && !isValidDigest(v)) {
    const { line } = where(ctx.parsed, node)
    const why = `holds ${JSON.stringify(v)}, which is not a digest (sha256:<64 hex> or sha512:<128 hex>)`
    throw new InvalidImageRefError(`${ctx.path}: line ${line}: key ${ctx.key} (for ${ctx.image}) ${why}`, { path: ctx.path, key: ctx.key, image: ctx.image, line, reason: 'not-a-digest' })
  }
  const digest = pair ?? standIn(node)
  return digest ? { kind: 'split', map: null, digest } : null
}

/** Sites that hold a digest and nothing else (a digest key): no tag is there to set. */
function digestOnly(sites: readonly ImageSite[]): boolean {
  return sites.length > 0 && sites.every((s) => s.kind === 'split' && !s.tag && !s.anchor && !!s.digest)
}

function siteAtKey(ctx: KeyContext, doc: Document.Parsed, found: { node: unknown; map: YAMLMap | null; pair?: AnyPair }): ImageSite {
  const check = (named: string | undefined) => {
    if (named && !sameImage(named, ctx.image)) throw mismatch(ctx, named)
  }
  const last = ctx.segs[ctx.segs.length - 1]!
  const { node, map, pair } = found
  if (isMap(node)) {
    check(mapImage(node))
    return splitSite(node, doc)
  }
  if (map && typeof last === 'string' && MAP_PARTS.has(last)) {
    check(mapImage(map))
    // `….version` named outright is the tag even beside a `tag`; `….tag` or the map's other parts mean the map's own tag.
    return splitSite(map, doc, last === 'tag' || last === 'version' ? (pair ?? standIn(node) ?? tagPair(map)) : tagPair(map))
  }
  if (!isInlineScalar(node)) throw new YamlError('YAML_UNSUPPORTED', `${ctx.path}: key ${ctx.key} is not a value infra-sync can set`, { path: ctx.path, key: ctx.key })
  const v = scalarString(node)
  const ref = v ? refSite(ctx.parsed, node, ctx.image, ctx.path) : null
  if (ref) return ref
  const digest = digestAtKey(ctx, node, pair)
  if (digest) return digest
  if ((v && isBareTag(v, ctx.segs)) || (!v && pair && keyNamesTag(ctx.segs))) {
    // The chart builds the reference itself (say from global.imageRegistry): only the tag is ours to set.
    const tag = pair ?? standIn(node)
    return { kind: 'split', map: null, ...(tag && { tag }) }
  }
  if (!v) throw notFound(ctx, 'empty', 'is empty; give the image there as repo:tag first')
  let named: string
  try {
    named = parseImageRef(v).name
  } catch {
    throw notFound(ctx, 'not-an-image', `holds ${JSON.stringify(v)}, which is neither ${ctx.image} nor a tag`)
  }
  throw mismatch(ctx, named)
}

function byKey(parsed: ParsedYaml, image: string, key: string, path: string): ImageSite[] {
  const ctx: KeyContext = { parsed, path, key, image, segs: parseKeyPath(key) }
  const sites: ImageSite[] = []
  let firstMiss: ImageNotFoundError | undefined
  for (const doc of parsed.docs) {
    const walk = walkKeyPath(doc, ctx.segs)
    if ('found' in walk) sites.push(siteAtKey(ctx, doc, walk.found))
    else if ('missingLast' in walk && ctx.segs[ctx.segs.length - 1] === 'tag') {
      // Only a missing last `tag` may be added (after its map's repository); anything else missing is a wrong key.
      const named = mapImage(walk.missingLast)
      if (named && !sameImage(named, image)) throw mismatch(ctx, named)
      sites.push(splitSite(walk.missingLast, doc))
    } else firstMiss ??= missError(ctx, 'miss' in walk ? walk.miss : { reason: 'no-such-key', at: ctx.segs.length - 1 })
  }
  // A document without the key is another resource; a file where none has it is a wrong key.
  if (sites.length === 0 && firstMiss) throw firstMiss
  return sites
}

function find(text: string, image: string, path: string, options: EditorOptions): { parsed: ParsedYaml; sites: ImageSite[] } {
  const parsed = parseYamlDocs(text, path)
  return { parsed, sites: options.key ? byKey(parsed, image, options.key, path) : byShape(parsed, image, path) }
}

function open(text: string, image: string, path = 'values.yaml', options: EditorOptions = {}): OpenedImage {
  parseImageName(image)
  const { parsed, sites } = find(text, image, path, options)
  const notFound = options.key !== undefined ? { notFound: `${path}: key ${options.key}: does not set ${image}` } : {}
  const opened = openSites(parsed, sites, path, (t) => find(t, image, path, options).sites, { image, ...notFound })
  if (!digestOnly(sites)) return opened
  // A digest key takes the build's digest, which names the image exactly; its tag has nowhere to go (openSites refuses a tag alone).
  return { ...opened, set: (change) => opened.set(change.digest !== undefined ? { digest: change.digest } : change) }
}

export const helmValues: ImageEditor = {
  format: 'helm',
  detect: (path) => VALUES_FILE.test(path),
  open,
  read: (text, image, path, options) => open(text, image, path, options).current,
  set: (text, change, path, options) => open(text, change.image, path, options).set(change),
}
