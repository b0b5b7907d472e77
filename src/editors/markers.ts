import { isAlias, isMap, isSeq, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml'
import { parseImageName, sameImage } from '../core/image-ref.js'
import type { EditorOptions, ImageEditor, OpenedImage } from './editor.js'
import { isInlineScalar, openSites, type ImageSite } from './image-sites.js'
import { parseYamlDocs, type ParsedYaml } from './yaml-text.js'

/**
 * Values marked by a comment on their line, for files whose shape says
 * nothing about images (HelmRelease values, custom resources, env vars):
 *
 *   image: ghcr.io/acme/app:1.2.3   # infra-sync: ghcr.io/acme/app
 *   tag: 1.2.3                      # infra-sync: ghcr.io/acme/app:tag
 *   tag: 1.2.3 # {"$imagepolicy": "flux-system:app:tag"}
 *
 * `:tag`, `:digest` and `:name` say which part the scalar holds (no suffix:
 * the whole reference). Flux setter markers name an ImagePolicy; the service's
 * `imagePolicies` in infra-sync.yaml say which image that is, so a Flux user
 * migrates without touching files. `:name` markers are read, never written.
 */
type Role = 'ref' | 'tag' | 'digest' | 'name'
type AnyPair = Pair<Node, Node | null>

const INFRA_SYNC = /^infra-sync:\s*(\S+)\s*$/
const FLUX = /^\{\s*"\$imagepolicy"\s*:\s*"([^"]+)"\s*\}$/
const YAML_FILE = /\.ya?ml$/
const HAS_MARKER = /#\s*(?:infra-sync:\s*(?!pin\b)[^\s#]|\{\s*"\$imagepolicy")/

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

/** The comment after a scalar on its own line, if any. */
export function trailingComment(text: string, node: Scalar): string | null {
  const end = node.range![1]
  const nl = text.indexOf('\n', end)
  const rest = text.slice(end, nl < 0 ? text.length : nl).replace(/\r$/, '')
  const m = /^[ \t]+#(.*)$/.exec(rest)
  return m ? m[1]! : null
}

function matches(marker: Marker, image: string, options: EditorOptions): boolean {
  if (marker.image !== undefined) return sameImage(marker.image, image)
  return options.imagePolicies?.includes(marker.policy!) ?? false
}

function find(parsed: ParsedYaml, image: string, options: EditorOptions): ImageSite[] {
  const { text } = parsed
  const sites: ImageSite[] = []
  const marked = (node: unknown): Role | null => {
    if (!isInlineScalar(node)) return null
    const comment = trailingComment(text, node)
    const marker = comment === null ? null : parseMarker(comment)
    return marker && matches(marker, image, options) ? marker.role : null
  }
  const visit = (node: unknown): void => {
    if (isAlias(node)) return
    if (isMap(node)) {
      const group: { tag?: AnyPair; digest?: AnyPair; name?: AnyPair } = {}
      for (const p of node.items as AnyPair[]) {
        const role = node.flow ? null : marked(p.value)
        if (role === 'ref') sites.push({ kind: 'ref', node: p.value as Scalar })
        else if (role) group[role] ??= p
        else visit(p.value)
      }
      if (group.tag || group.digest) sites.push(splitOf(node, group))
    } else if (isSeq(node)) {
      for (const item of node.items) {
        if (!node.flow && marked(item) === 'ref') sites.push({ kind: 'ref', node: item as Scalar })
        else visit(item)
      }
    }
  }
  for (const doc of parsed.docs) visit(doc.contents)
  return sites
}

/** Marked values are written, never added: a file with only a `:digest` marker cannot take a tag. */
function splitOf(map: YAMLMap, g: { tag?: AnyPair; digest?: AnyPair }): ImageSite {
  return { kind: 'split', map, ...(g.tag && { tag: g.tag }), ...(g.digest && { digest: g.digest }) }
}

function open(text: string, image: string, path = 'values.yaml', options: EditorOptions = {}): OpenedImage {
  parseImageName(image)
  const parsed = parseYamlDocs(text, path)
  return openSites(parsed, find(parsed, image, options), path, (t) => find(parseYamlDocs(t, path), image, options))
}

export const markers: ImageEditor = {
  format: 'markers',
  detect: (path, text) => YAML_FILE.test(path) && (text === undefined || HAS_MARKER.test(text)),
  open,
  read: (text, image, path, options) => open(text, image, path, options).current,
  set: (text, change, path, options) => open(text, change.image, path, options).set(change),
}
