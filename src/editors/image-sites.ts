import { isAlias, isMap, isScalar, isSeq, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml'
import { EditVerifyError, ImageNotFoundError, ValidationError, YamlError } from '../core/errors.js'
import { parseImageRef } from '../core/image-ref.js'
import { nextValue, type EditResult, type ImageValue, type OpenedImage } from './editor.js'
import { applySplices, insertPairAfter, pinnedAt, replaceScalar, replaceValue, scalarString, type ParsedYaml, type Splice } from './yaml-text.js'

/**
 * Where one occurrence of an image lives in a YAML file, for the formats that
 * find images by shape or marker (Helm values, manifests, marker comments):
 * - `ref`: one scalar holds `name[:tag][@digest]` (`image: ghcr.io/acme/app:1.2`);
 * - `split`: a tag scalar and optionally a digest scalar (`repository` + `tag`),
 *   either of which may be missing and is then added after `anchor`.
 */
export type ImageSite =
  | { readonly kind: 'ref'; readonly node: Scalar }
  | {
      readonly kind: 'split'
      readonly map: YAMLMap | null
      readonly tag?: Pair<Node, Node | null>
      readonly digest?: Pair<Node, Node | null>
      /** Where a missing `tag:` goes; without it a missing tag cannot be added. */
      readonly anchor?: Pair<Node, Node | null>
    }

type AnyPair = Pair<Node, Node | null>

/** Splits a reference as written into its name part and values: the name keeps its spelling (`nginx` stays `nginx`). */
export function splitRef(written: string): { name: string; value: ImageValue } {
  const ref = parseImageRef(written)
  let name = written
  if (ref.digest) name = name.slice(0, name.length - ref.digest.length - 1)
  if (ref.tag) name = name.slice(0, name.length - ref.tag.length - 1)
  return { name, value: { ...(ref.tag && { tag: ref.tag }), ...(ref.digest && { digest: ref.digest }) } }
}

const nonEmpty = (s: string | undefined) => (s === undefined || s === '' ? undefined : s)

export function readSite(site: ImageSite): ImageValue {
  if (site.kind === 'ref') return splitRef(scalarString(site.node) ?? '').value
  let tag = nonEmpty(scalarString(site.tag?.value))
  let digest: string | undefined
  // `tag: 1.2.3@sha256:…` pins a digest in charts that build `repository:tag`.
  if (tag?.includes('@')) [tag, digest] = [tag.slice(0, tag.indexOf('@')) || undefined, tag.slice(tag.indexOf('@') + 1)]
  digest = nonEmpty(scalarString(site.digest?.value)) ?? digest
  return { ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) }
}

function siteSplices(text: string, eol: string, site: ImageSite, want: ImageValue, path: string): Splice[] {
  if (site.kind === 'ref') {
    const { name } = splitRef(scalarString(site.node) ?? '')
    const s = replaceScalar(site.node, `${name}${want.tag !== undefined ? `:${want.tag}` : ''}${want.digest !== undefined ? `@${want.digest}` : ''}`)
    return s ? [s] : []
  }
  const out: Splice[] = []
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
    if (!site.tag && !site.anchor && want.tag !== undefined) {
      throw new YamlError('YAML_UNSUPPORTED', `${path}: the marked value holds a digest only and cannot take the tag ${want.tag}`, { path })
    }
    put(site.tag, 'tag', want.tag)
    put(site.digest, 'digest', want.digest)
  } else if (want.tag !== undefined) {
    put(site.tag, 'tag', want.digest !== undefined ? `${want.tag}@${want.digest}` : want.tag)
  } else {
    put(undefined, 'digest', want.digest)
  }
  return out
}

function sitePositions(site: ImageSite): number[] {
  if (site.kind === 'ref') return [site.node.range![0]]
  return [site.tag, site.digest, site.anchor].flatMap((p) => (p ? [(p.value?.range ?? p.key.range)![0]] : []))
}

/** Nodes are found once per parse; the same scalar reached twice (say by shape and by key) is one site. */
function dedupe(sites: readonly ImageSite[]): ImageSite[] {
  const seen = new Set<unknown>()
  return sites.filter((s) => {
    const id = s.kind === 'ref' ? s.node : (s.tag ?? s.digest ?? s.anchor)
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

/**
 * An OpenedImage over the sites a format found. Setting writes every site,
 * then re-parses the result with `find` and requires each site to read back
 * as what was set; otherwise nothing is returned.
 */
export function openSites(parsed: ParsedYaml, found: readonly ImageSite[], path: string, find: (text: string) => readonly ImageSite[]): OpenedImage {
  const sites = dedupe(found)
  const befores = sites.map(readSite)
  const current = befores[0] ?? null
  return {
    current,
    canAdd: false,
    pinned: sites.some((s) => sitePositions(s).some((pos) => pinnedAt(parsed.text, pos))),
    set(change): EditResult {
      if (change.tag === undefined && change.digest === undefined) throw new ValidationError('nothing to set: give a tag or a digest', { path }, 'INVALID_INPUT')
      if (sites.length === 0) throw new ImageNotFoundError(`${path}: does not set the image`, { path })
      const wants = befores.map((b) => nextValue(b, change))
      const splices = sites.flatMap((s, i) => siteSplices(parsed.text, parsed.eol, s, wants[i]!, path))
      const text = applySplices(parsed.text, splices)
      verify(text, wants, path, find)
      return { text, changed: text !== parsed.text, before: current, after: wants[0]! }
    },
  }
}

function verify(text: string, wants: readonly ImageValue[], path: string, find: (text: string) => readonly ImageSite[]): void {
  let got: ImageValue[]
  try {
    got = dedupe(find(text)).map(readSite)
  } catch (e) {
    throw new EditVerifyError(`${path}: the edited file no longer parses`, { path, cause: (e as { code?: string }).code })
  }
  const same = (a: ImageValue | undefined, b: ImageValue) => a !== undefined && a.tag === b.tag && a.digest === b.digest
  if (got.length !== wants.length || !wants.every((w, i) => same(got[i], w))) {
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
