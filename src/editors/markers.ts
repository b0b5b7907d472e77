import { Lexer, isAlias, isMap, isSeq, type Node, type Pair, type Scalar } from 'yaml'
import { ImageMismatchError, InvalidImageRefError, YamlError } from '../core/errors.js'
import { parseImageName, sameImage } from '../core/image-ref.js'
import type { EditorOptions, ImageEditor, OpenedImage } from './editor.js'
import { isInlineScalar, openSites, splitRef, unreadableRef, where, type ImageSite } from './image-sites.js'
import { lineOf, parseYamlDocs, scalarString, type ParsedYaml } from './yaml-text.js'

/**
 * Values marked by a comment at the end of their line, for files whose shape
 * says nothing about images (HelmRelease values, custom resources, env vars):
 *
 *   image: ghcr.io/acme/app:1.2.3   # infra-sync: ghcr.io/acme/app
 *   tag: 1.2.3                      # infra-sync: ghcr.io/acme/app:tag
 *   tag: 1.2.3 # {"$imagepolicy": "flux-system:app:tag"}
 *
 * `:tag`, `:digest` and `:name` say which part the scalar holds (no suffix:
 * the whole reference). The two kinds differ in who owns the name:
 * - infra-sync's own marker names the image, so a value that names another
 *   image contradicts it: refused (IMAGE_MISMATCH), never overwritten, and a
 *   `:name` value is checked, never written;
 * - a Flux setter names an ImagePolicy (mapped to the image by the service's
 *   `imagePolicies`), and as in Flux the reference it marks is the policy's:
 *   the name is set to the image (`:name` setters too), keeping its spelling
 *   when it already is that image.
 * A marker for the image that is not on a value infra-sync can write (a map,
 * an alias, a block scalar, a flow collection) refuses the file rather than
 * being passed over.
 */
type Role = 'ref' | 'tag' | 'digest' | 'name'
type AnyPair = Pair<Node, Node | null>

const INFRA_SYNC = /^infra-sync:\s*(\S+)\s*$/
const FLUX = /^\{\s*"\$imagepolicy"\s*:\s*"([^"]+)"\s*\}$/
const YAML_FILE = /\.ya?ml$/
const HAS_MARKER = /#\s*(?:infra-sync:\s*(?!pin\b)[^\s#]|\{\s*"\$imagepolicy")/
// Lexer tokens that mark structure without consuming source text.
const ZERO_WIDTH = new Set(['\x02', '\x18', '\x1f'])

interface Marker {
  readonly image?: string
  readonly policy?: string
  readonly role: Role
}

/** Reads one line comment as a marker, or null. Exported for the pin check and tests. */
export function parseMarker(comment: string): Marker | null {
  const c = comment.trim()
  const own = INFRA_SYNC.exec(c)
  if (own) {
    const m = /^(.*?)(?::(tag|name|digest))?$/.exec(own[1]!)!
    if (own[1] === 'pin' || m[1] === '') return null
    return { image: m[1]!, role: (m[2] as Role | undefined) ?? 'ref' }
  }
  const flux = FLUX.exec(c)
  if (flux) {
    const parts = flux[1]!.split(':')
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) return null
    const role = parts[2] ?? 'ref'
    if (!['ref', 'tag', 'name', 'digest'].includes(role)) return null
    return { policy: `${parts[0]}:${parts[1]}`, role: role as Role }
  }
  return null
}

/** The comment after a scalar on its own line, and where its `#` is. */
function commentAfter(text: string, node: Scalar): { text: string; at: number } | null {
  const end = node.range![1]
  const nl = text.indexOf('\n', end)
  const rest = text.slice(end, nl < 0 ? text.length : nl).replace(/\r$/, '')
  const m = /^([ \t]+)#(.*)$/.exec(rest)
  return m ? { text: m[2]!, at: end + m[1]!.length } : null
}

/** The comment after a scalar on its own line, if any. */
export function trailingComment(text: string, node: Scalar): string | null {
  return commentAfter(text, node)?.text ?? null
}

function matches(marker: Marker, image: string, options: EditorOptions): boolean {
  if (marker.image !== undefined) return sameImage(marker.image, image)
  return options.imagePolicies?.includes(marker.policy!) ?? false
}

function mismatch(parsed: ParsedYaml, node: Node, path: string, image: string, found: string): ImageMismatchError {
  const { line, key } = where(parsed, node)
  const at = `line ${line}${key ? ` (${key})` : ''}`
  return new ImageMismatchError(`${path}: ${at} holds ${found === '' ? 'nothing' : found}, but its marker says ${image}; refusing to overwrite another image`, {
    path,
    image,
    found,
    line,
    ...(key && { key }),
  })
}

interface Found {
  readonly sites: ImageSite[]
  /** Whether any marker in the file stands for the image. */
  readonly marked: boolean
}

function find(parsed: ParsedYaml, image: string, options: EditorOptions, path: string): Found {
  const { text } = parsed
  const sites: ImageSite[] = []
  const used = new Set<number>()
  const markerOf = (node: unknown): { marker: Marker; at: number } | null => {
    if (!isInlineScalar(node)) return null
    const c = commentAfter(text, node)
    const marker = c && parseMarker(c.text)
    return marker && matches(marker, image, options) ? { marker, at: c.at } : null
  }
  // infra-sync's marker names the image: the value must name it too. A Flux setter's reference is the policy's to replace.
  const refAt = (node: Scalar, marker: Marker): ImageSite => {
    if (marker.image === undefined) return { kind: 'ref', node, rename: true }
    const written = scalarString(node) ?? ''
    let name: string
    try {
      name = splitRef(written).name
    } catch (e) {
      if (e instanceof InvalidImageRefError) throw unreadableRef(parsed, node, path, e)
      throw e
    }
    if (!sameImage(name, image)) throw mismatch(parsed, node, path, image, written)
    return { kind: 'ref', node }
  }
  const visit = (node: unknown): void => {
    if (isAlias(node)) return
    if (isMap(node)) {
      const group: { tag?: AnyPair; digest?: AnyPair; name?: AnyPair } = {}
      for (const p of node.items as AnyPair[]) {
        const found = node.flow ? null : markerOf(p.value)
        if (!found) {
          visit(p.value)
          continue
        }
        const { marker } = found
        used.add(found.at)
        if (marker.role === 'ref') sites.push(refAt(p.value as Scalar, marker))
        else if (marker.role === 'name' && marker.image !== undefined) {
          const named = scalarString(p.value) ?? ''
          if (!sameImage(named, image)) throw mismatch(parsed, p.value as Node, path, image, named)
        } else if (group[marker.role] === undefined) group[marker.role] = p
        else if (marker.role === 'name') sites.push({ kind: 'name', name: p })
        else sites.push(marker.role === 'tag' ? { kind: 'split', map: node, tag: p } : { kind: 'split', map: node, digest: p })
      }
      if (group.tag || group.digest) sites.push({ kind: 'split', map: node, ...group })
      else if (group.name) sites.push({ kind: 'name', name: group.name })
    } else if (isSeq(node)) {
      for (const item of node.items) {
        const found = node.flow ? null : markerOf(item)
        // A list item holds a whole reference; a part marked there has no map to live in, and is refused below.
        if (found?.marker.role === 'ref') {
          used.add(found.at)
          sites.push(refAt(item as Scalar, found.marker))
        } else if (!found) visit(item)
      }
    }
  }
  for (const doc of parsed.docs) visit(doc.contents)
  if (HAS_MARKER.test(text)) refuseUnused(parsed, used, image, options, path)
  return { sites, marked: used.size > 0 }
}

/** Every marker for the image at the end of a line must have found its value: otherwise the file would be edited with that one left behind. */
function refuseUnused(parsed: ParsedYaml, used: ReadonlySet<number>, image: string, options: EditorOptions, path: string): void {
  const { text } = parsed
  let offset = 0
  for (const token of new Lexer().lex(text)) {
    if (token[0] === '#' && !used.has(offset)) {
      const marker = parseMarker(token.slice(1))
      const lineStart = text.lastIndexOf('\n', offset - 1) + 1
      // A comment alone on its line marks nothing; only one after a value does.
      if (marker && matches(marker, image, options) && text.slice(lineStart, offset).trim() !== '') {
        const line = lineOf(text, offset)
        throw new YamlError(
          'YAML_UNSUPPORTED',
          `${path}: line ${line}: the marker for ${image} is not on a value infra-sync can set (a map, a list, an alias, a block scalar, a flow collection, or a part marked on a list item); mark the scalar that holds it`,
          { path, line, image },
        )
      }
    }
    if (!ZERO_WIDTH.has(token)) offset += token.length
  }
}

function notFound(path: string, image: string, options: EditorOptions): string {
  const policies = options.imagePolicies ?? []
  const setters = policies.length ? ` and no $imagepolicy setter of ${policies.join(', ')}` : ''
  return `${path}: no marker for ${image}${setters}: does not set ${image}`
}

function opened(parsed: ParsedYaml, found: Found, image: string, path: string, options: EditorOptions): OpenedImage {
  return openSites(parsed, found.sites, path, (t) => find(parseYamlDocs(t, path), image, options, path).sites, { image, notFound: notFound(path, image, options) })
}

function open(text: string, image: string, path = 'values.yaml', options: EditorOptions = {}): OpenedImage {
  parseImageName(image)
  const parsed = parseYamlDocs(text, path)
  return opened(parsed, find(parsed, image, options, path), image, path, options)
}

/**
 * The file's marked values for `image`, or null when no marker in it stands
 * for the image: markers say exactly what they mean, so when there are some
 * they win over finding the image by the file's shape.
 */
export function openMarked(text: string, image: string, path: string, options: EditorOptions = {}): OpenedImage | null {
  if (!HAS_MARKER.test(text)) return null
  parseImageName(image)
  const parsed = parseYamlDocs(text, path)
  const found = find(parsed, image, options, path)
  return found.marked ? opened(parsed, found, image, path, options) : null
}

export const markers: ImageEditor = {
  format: 'markers',
  detect: (path, text) => YAML_FILE.test(path) && (text === undefined || HAS_MARKER.test(text)),
  open,
  read: (text, image, path, options) => open(text, image, path, options).current,
  set: (text, change, path, options) => open(text, change.image, path, options).set(change),
}
