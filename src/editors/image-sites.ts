import { isAlias, isMap, isScalar, isSeq, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml'
import { EditVerifyError, ImageNotFoundError, InvalidImageRefError, ValidationError, YamlError } from '../core/errors.js'
import { parseImageRef, sameImage } from '../core/image-ref.js'
import { nextValue, type EditResult, type ImageValue, type OpenedImage } from './editor.js'
import { applySplices, insertPairAfter, keyPathOf, lineOf, pinnedAt, replaceScalar, replaceValue, scalarString, type ParsedYaml, type Splice } from './yaml-text.js'

/**
 * Where one occurrence of an image lives in a YAML file, for the formats that
 * find images by shape or marker (Helm values, manifests, marker comments):
 * - `ref`: one scalar holds `name[:tag][@digest]` (`image: ghcr.io/acme/app:1.2`);
 *   with `rename` (a Flux setter) the whole reference is the image's, so a
 *   name that is another image is replaced rather than refused;
 * - `split`: a tag scalar and optionally a digest scalar (`repository` + `tag`),
 *   either of which may be missing and is then added after `anchor`; `name`
 *   (a Flux `:name` setter) is set to the image name with them;
 * - `name`: a Flux `:name` setter with no tag or digest beside it: set to the
 *   image name, holds no value of its own.
 */
export type ImageSite =
  | { readonly kind: 'ref'; readonly node: Scalar; readonly rename?: boolean }
  | {
      readonly kind: 'split'
      readonly map: YAMLMap | null
      readonly tag?: Pair<Node, Node | null>
      readonly digest?: Pair<Node, Node | null>
      /** Where a missing `tag:` goes; without it a missing tag cannot be added. */
      readonly anchor?: Pair<Node, Node | null>
      readonly name?: Pair<Node, Node | null>
    }
  | { readonly kind: 'name'; readonly name: Pair<Node, Node | null> }

type AnyPair = Pair<Node, Node | null>

/** Splits a reference as written into its name part and values: the name keeps its spelling (`nginx` stays `nginx`). */
export function splitRef(written: string): { name: string; value: ImageValue } {
  const ref = parseImageRef(written)
  let name = written
  if (ref.digest) name = name.slice(0, name.length - ref.digest.length - 1)
  if (ref.tag) name = name.slice(0, name.length - ref.tag.length - 1)
  return { name, value: { ...(ref.tag && { tag: ref.tag }), ...(ref.digest && { digest: ref.digest }) } }
}

/** The name part of a reference that may not parse as a whole (`app:1@sha256:bad` → `app`), by the reference grammar's separators. */
function loosename(written: string): string {
  const at = written.indexOf('@')
  const head = at < 0 ? written : written.slice(0, at)
  const colon = head.lastIndexOf(':')
  return colon > head.lastIndexOf('/') ? head.slice(0, colon) : head
}

/**
 * Whether a scalar that should hold a reference holds one of `image`: the site
 * when it does, null when it names another image or is not a reference. A
 * value whose name is the image but which does not parse (a bad digest) is
 * refused with its line, so that a file is never edited with one of its
 * occurrences of the image silently left behind.
 */
export function refSite(parsed: ParsedYaml, node: Scalar, image: string, path: string): ImageSite | null {
  const written = scalarString(node) ?? ''
  try {
    return sameImage(splitRef(written).name, image) ? { kind: 'ref', node } : null
  } catch (e) {
    if (!(e instanceof InvalidImageRefError) || !sameImage(loosename(written), image)) return null
    throw unreadableRef(parsed, node, path, e)
  }
}

/** An invalid reference where the image should be, told with its file, line and key. */
export function unreadableRef(parsed: ParsedYaml, node: Node, path: string, e: InvalidImageRefError): InvalidImageRefError {
  const { line, key } = where(parsed, node)
  return new InvalidImageRefError(`${path}: line ${line}${key ? ` (${key})` : ''}: ${e.message}`, { ...e.data, path, line, ...(key && { key }) })
}

/** Line and key path of a node, for messages. */
export function where(parsed: ParsedYaml, node: Node): { line: number; key: string | undefined } {
  return { line: lineOf(parsed.text, node.range?.[0] ?? 0), key: keyPathOf(parsed, node) }
}

const nonEmpty = (s: string | undefined) => (s === undefined || s === '' ? undefined : s)

function tryName(written: string): string | undefined {
  try {
    return splitRef(written).name
  } catch {
    return undefined
  }
}

/** Whether a site's name part is (or, once set, will be) `image`'s; a site with no name part of its own always is. */
function namesImage(site: ImageSite, image: string | undefined): boolean {
  if (image === undefined) return true
  if (site.kind === 'ref') {
    if (!site.rename) return true
    const name = tryName(scalarString(site.node) ?? '')
    return name !== undefined && sameImage(name, image)
  }
  return site.name === undefined || sameImage(scalarString(site.name.value) ?? '', image)
}

/**
 * The value a site holds for `image`. A site whose name is another image (a
 * Flux setter the policy now points elsewhere) holds nothing of it yet: `{}`.
 */
export function readSite(site: ImageSite, image?: string): ImageValue {
  if (site.kind === 'name' || !namesImage(site, image)) return {}
  if (site.kind === 'ref') return splitRef(scalarString(site.node) ?? '').value
  let tag = nonEmpty(scalarString(site.tag?.value))
  let digest: string | undefined
  // `tag: 1.2.3@sha256:…` pins a digest in charts that build `repository:tag`.
  if (tag?.includes('@')) [tag, digest] = [tag.slice(0, tag.indexOf('@')) || undefined, tag.slice(tag.indexOf('@') + 1)]
  digest = nonEmpty(scalarString(site.digest?.value)) ?? digest
  return { ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) }
}

function nameSplice(text: string, pair: AnyPair, image: string): Splice[] {
  if (sameImage(scalarString(pair.value) ?? '', image)) return []
  const s = replaceValue(text, pair, image)
  return s ? [s] : []
}

function siteSplices(text: string, eol: string, site: ImageSite, want: ImageValue, path: string, image: string | undefined): Splice[] {
  const needImage = (): string => {
    if (image === undefined) throw new ValidationError('a setter that names the image needs the image to write', { path }, 'INVALID_INPUT')
    return image
  }
  if (site.kind === 'name') return nameSplice(text, site.name, needImage())
  if (site.kind === 'ref') {
    const written = scalarString(site.node) ?? ''
    // A Flux setter's reference is the policy's: another name is replaced; the same name keeps its spelling.
    const name = site.rename ? (namesImage(site, needImage()) ? tryName(written)! : needImage()) : splitRef(written).name
    const s = replaceScalar(site.node, `${name}${want.tag !== undefined ? `:${want.tag}` : ''}${want.digest !== undefined ? `@${want.digest}` : ''}`)
    return s ? [s] : []
  }
  const out: Splice[] = site.name ? nameSplice(text, site.name, needImage()) : []
  const put = (pair: AnyPair | undefined, key: string, value: string | undefined): void => {
    if (pair) {
      if (value === undefined && nonEmpty(scalarString(pair.value)) === undefined) return
      const s = replaceValue(text, pair, value ?? '')
      if (s) out.push(s)
      return
    }
    if (value === undefined) return
    const after = site.tag ?? site.anchor
    if (!site.map || !after) {
      throw new YamlError('YAML_UNSUPPORTED', `${path}: no ${key} to set here (the marked value cannot hold ${value})`, { path, key })
    }
    out.push(insertPairAfter(text, eol, site.map, after, key, value))
  }
  if (site.digest) {
    // A digest-only site takes the digest; openSites has checked that another site takes the tag.
    if (!digestOnly(site)) put(site.tag, 'tag', want.tag)
    put(site.digest, 'digest', want.digest)
  } else if (want.tag !== undefined) {
    put(site.tag, 'tag', want.digest !== undefined ? `${want.tag}@${want.digest}` : want.tag)
  } else {
    put(undefined, 'digest', want.digest)
  }
  return out
}

/** A marked digest with no tag beside it (and nowhere to add one): it holds the digest and nothing else. */
function digestOnly(site: ImageSite): boolean {
  return site.kind === 'split' && !site.tag && !site.anchor
}

function siteNodes(site: ImageSite): Node[] {
  if (site.kind === 'ref') return [site.node]
  if (site.kind === 'name') return [site.name.value ?? site.name.key]
  return [site.tag, site.digest, site.anchor, site.name].flatMap((p) => (p ? [(p.value?.range ? p.value : p.key) as Node] : []))
}

/** Nodes are found once per parse; the same scalar reached twice (say by shape and by key) is one site. */
function dedupe(sites: readonly ImageSite[]): ImageSite[] {
  const seen = new Set<unknown>()
  return sites.filter((s) => {
    const id = s.kind === 'ref' ? s.node : s.kind === 'name' ? s.name : (s.tag ?? s.digest ?? s.anchor ?? s.name)
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

/** How openSites names things: the image as written (needed to write Flux names), and the reason when nothing is found. */
export interface SiteOptions {
  readonly image?: string
  readonly notFound?: string
}

/**
 * An OpenedImage over the sites a format found. Setting writes every site or
 * none: a site that cannot be read or written refuses the whole file, naming
 * its line. The result is re-parsed with `find`, and each site must read back
 * as what was set; otherwise nothing is returned.
 */
export function openSites(parsed: ParsedYaml, found: readonly ImageSite[], path: string, find: (text: string) => readonly ImageSite[], opts: SiteOptions = {}): OpenedImage {
  const { image } = opts
  const sites = dedupe(found)
  const befores = sites.map((s) => readAt(parsed, s, path, image))
  const valued = sites.flatMap((s, i) => (s.kind === 'name' ? [] : [befores[i]!]))
  // What the file runs is best read where the tag is: a digest-only site says only half of it.
  const current = befores.find((_, i) => sites[i]!.kind !== 'name' && !digestOnly(sites[i]!)) ?? valued[0] ?? null
  return {
    current,
    canAdd: false,
    pinned: sites.some((s) => siteNodes(s).some((n) => pinnedAt(parsed.text, n.range![0]))),
    set(change): EditResult {
      if (change.tag === undefined && change.digest === undefined) throw new ValidationError(`${path}: nothing to set: give a tag or a digest`, { path }, 'INVALID_INPUT')
      if (valued.length === 0) {
        throw new ImageNotFoundError(opts.notFound ?? `${path}: does not set ${image ?? 'the image'}`, { path, ...(image !== undefined && { image }) })
      }
      const tagless = sites.find(digestOnly)
      if (change.tag !== undefined && tagless && !sites.some((s) => s.kind !== 'name' && !digestOnly(s))) {
        const { line, key } = where(parsed, siteNodes(tagless)[0]!)
        throw new YamlError('YAML_UNSUPPORTED', `${path}: line ${line}${key ? ` (${key})` : ''}: the value holds a digest only, and nothing in the file takes the tag ${change.tag}`, {
          path,
          line,
          ...(key && { key }),
          reason: 'digest-only',
        })
      }
      const wants = befores.map((b) => nextValue(b, change))
      const splices = sites.flatMap((s, i) => spliceAt(parsed, s, wants[i]!, path, image))
      const text = parsed.bom + applySplices(parsed.text, splices)
      verify(text, sites, wants, path, find, image)
      return { text, changed: text !== parsed.bom + parsed.text, before: current, after: nextValue(current, change) }
    },
  }
}

function readAt(parsed: ParsedYaml, site: ImageSite, path: string, image: string | undefined): ImageValue {
  try {
    return readSite(site, image)
  } catch (e) {
    if (e instanceof InvalidImageRefError && site.kind === 'ref') throw unreadableRef(parsed, site.node, path, e)
    throw e
  }
}

/** A site's splices; a YAML refusal from the text engine is told with the file, line and key. */
function spliceAt(parsed: ParsedYaml, site: ImageSite, want: ImageValue, path: string, image: string | undefined): Splice[] {
  try {
    return siteSplices(parsed.text, parsed.eol, site, want, path, image)
  } catch (e) {
    if (!(e instanceof YamlError) || e.data.path !== undefined) throw e
    const { line, key } = where(parsed, siteNodes(site)[0]!)
    throw new YamlError(e.code as 'YAML_UNSUPPORTED', `${path}: line ${line}${key ? ` (${key})` : ''}: ${e.message}`, { ...e.data, path, line, ...(key && { key }) })
  }
}

function verify(text: string, sites: readonly ImageSite[], wants: readonly ImageValue[], path: string, find: (text: string) => readonly ImageSite[], image: string | undefined): void {
  let got: ImageSite[]
  try {
    got = dedupe(find(text))
  } catch (e) {
    throw new EditVerifyError(`${path}: the edited file no longer parses`, { path, cause: (e as { code?: string }).code })
  }
  const same = (s: ImageSite | undefined, i: number) => {
    if (!s || s.kind !== sites[i]!.kind || !namesImage(s, image)) return false
    const a = readSite(s, image)
    const b = wants[i]!
    return s.kind === 'name' || (a.digest === b.digest && (digestOnly(s) || a.tag === b.tag))
  }
  if (got.length !== sites.length || !got.every(same)) {
    throw new EditVerifyError(`${path}: the edited file does not read back as the value set`, { path })
  }
}

/** Calls `fn` for every block or flow mapping under `node`, depth first, in document order. Aliases are not followed. */
export function forEachMap(node: unknown, fn: (map: YAMLMap) => void): void {
  if (isAlias(node)) return
  if (isMap(node)) {
    fn(node)
    for (const p of node.items) forEachMap(p.value, fn)
  } else if (isSeq(node)) for (const i of node.items) forEachMap(i, fn)
}

/** A plain or quoted scalar with a source range: the only kind infra-sync rewrites in place. */
export function isInlineScalar(node: unknown): node is Scalar {
  return isScalar(node) && !!node.range && node.type !== 'BLOCK_LITERAL' && node.type !== 'BLOCK_FOLDED'
}
