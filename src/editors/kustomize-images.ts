import type { Document, Node, Pair } from 'yaml'
import { EditVerifyError, ImageNotFoundError, ValidationError, YamlError } from '../core/errors.js'
import { parseImageName, parseImageRef, sameImage } from '../core/image-ref.js'
import { nextValue, type EditResult, type ImageEditor, type ImageValue, type OpenedImage, type SetImage } from './editor.js'
import { refSite, splitRef, where } from './image-sites.js'
import {
  applySplices,
  columnOf,
  insertPairAfter,
  isMap,
  lineOf,
  isScalar,
  isSeq,
  pairOf,
  parseYamlDocs,
  pinnedAt,
  removePair,
  renderScalar,
  replaceValue,
  scalarString,
  sequenceIndent,
  type ParsedYaml,
  type Splice,
  YAMLMap,
} from './yaml-text.js'

/**
 * kustomization.yaml `images:` entries, with the semantics of
 * `kustomize edit set image`: an entry matches when the image it produces
 * (newName, else name) is the image; a missing entry is added.
 * A new tag without a digest drops a stale digest, because kustomize would
 * otherwise keep deploying the old image by digest.
 */
const FILE_NAMES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization'])

interface Entry {
  readonly map: YAMLMap
  readonly name: Pair<Node, Node | null>
  readonly newName?: Pair<Node, Node | null>
  readonly newTag?: Pair<Node, Node | null>
  readonly digest?: Pair<Node, Node | null>
  /** `newName: repo:tag@digest` (as Renovate writes it): the tag and digest live in newName itself. */
  readonly refInNewName?: boolean
}

/** An entry that takes the image by `name` and renames it to another: kustomize then never deploys the image under its own name. */
interface Renamed {
  readonly to: string
  readonly line: number
}

function root(doc: Document.Parsed, path: string): YAMLMap | null {
  const c = doc.contents
  if (c === null || (isMap(c) && c.items.length === 0)) return null
  if (!isMap(c)) throw new YamlError('YAML_INVALID', `${path}: a kustomization must be a mapping`, { path })
  return c
}

function entries(parsed: ParsedYaml, map: YAMLMap | null, image: string, path: string): { found: Entry[]; renamed?: Renamed } {
  if (!map) return { found: [] }
  const images = pairOf(map, 'images')?.value
  if (images === null || images === undefined || (isScalar(images) && images.value === null)) return { found: [] }
  if (!isSeq(images)) throw new YamlError('YAML_INVALID', `${path}: images must be a list`, { path })
  const found: Entry[] = []
  let renamed: Renamed | undefined
  for (const item of images.items) {
    if (!isMap(item)) continue
    const name = pairOf(item, 'name')
    if (!name) continue
    const newName = pairOf(item, 'newName')
    const producer = (newName ?? name).value
    const produced = scalarString(producer)
    if (!produced || !producesImage(parsed, producer as Node, produced, image, path)) {
      if (produced && sameImage(scalarString(name.value) ?? '', image)) renamed ??= { to: produced, line: lineOf(parsed.text, (producer as Node).range![0]) }
      continue
    }
    const newTag = pairOf(item, 'newTag')
    const digest = pairOf(item, 'digest')
    const refInNewName = newName !== undefined && holdsTagOrDigest(produced)
    found.push({ map: item, name, ...(newName && { newName }), ...(newTag && { newTag }), ...(digest && { digest }), ...(refInNewName && { refInNewName }) })
  }
  return { found, ...(renamed && { renamed }) }
}

function holdsTagOrDigest(ref: string): boolean {
  try {
    const r = parseImageRef(ref)
    return r.tag !== undefined || r.digest !== undefined
  } catch {
    return false
  }
}

/** Whether an entry's name is the image; a name that is the image's but does not parse (a bad digest) refuses the file rather than leave the entry behind. */
function producesImage(parsed: ParsedYaml, node: Node, produced: string, image: string, path: string): boolean {
  if (sameImage(produced, image)) return true
  return isScalar(node) && refSite(parsed, node, image, path) !== null
}

function valueOf(e: Entry): ImageValue {
  if (e.refInNewName) return splitRef(scalarString(e.newName!.value)!).value
  const tag = scalarString(e.newTag?.value)
  const digest = scalarString(e.digest?.value)
  return { ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) }
}

function only(text: string, path: string) {
  const parsed = parseYamlDocs(text, path)
  const docs = parsed.docs.filter((d) => d.contents !== null)
  if (docs.length > 1) throw new YamlError('YAML_INVALID', `${path}: a kustomization holds one document`, { path })
  return { parsed, doc: docs[0] ?? parsed.docs[0] }
}

/** Parses once: what is there now, and a setter that edits from the same parse. */
function open(file: string, image: string, path = 'kustomization.yaml'): OpenedImage {
  parseImageName(image)
  const { parsed, doc } = only(file, path)
  const map = doc ? root(doc, path) : null
  const { found, renamed } = entries(parsed, map, image, path)
  const current = found[0] ? valueOf(found[0]) : null
  const pinned = found.some((e) => [e.name, e.newName, e.newTag, e.digest].some((p) => p && pinnedAt(parsed.text, (p.value?.range ?? p.key.range)![0])))
  // An entry for the image would follow the one that renames it, and kustomize would never apply it: nothing to add.
  const addable = found.length > 0 || renamed === undefined
  return {
    current,
    canAdd: addable,
    pinned,
    set(value) {
      if (!addable) {
        throw new ImageNotFoundError(`${path}: line ${renamed!.line}: the images entry for ${image} renames it to ${renamed!.to}, so the file does not deploy ${image}`, {
          path,
          image,
          line: renamed!.line,
          renamedTo: renamed!.to,
        })
      }
      const result = setIn(parsed, doc, map, found, { image, ...value }, current, path)
      return { ...result, text: parsed.bom + result.text }
    },
  }
}

function newEntryLines(change: SetImage, baseIndent: number): string[] {
  const pad = ' '.repeat(baseIndent)
  const lines = [`${pad}- name: ${renderScalar(change.image, undefined)}`]
  if (change.tag !== undefined) lines.push(`${pad}  newTag: ${renderScalar(change.tag, undefined)}`)
  if (change.digest !== undefined) lines.push(`${pad}  digest: ${renderScalar(change.digest, undefined)}`)
  return lines
}

/** One entry's splices; a value the text engine cannot rewrite (an alias, a map) is refused with the file, line and key. */
function entrySplices(parsed: ParsedYaml, e: Entry, change: SetImage, path: string): Splice[] {
  const { text, eol } = parsed
  const out: Splice[] = []
  const replace = (pair: Pair<Node, Node | null>, value: string) => {
    try {
      const s = replaceValue(text, pair, value)
      if (s) out.push(s)
    } catch (err) {
      if (!(err instanceof YamlError)) throw err
      const { line, key } = where(parsed, (pair.value ?? pair.key) as Node)
      throw new YamlError(err.code as 'YAML_UNSUPPORTED', `${path}: line ${line}${key ? ` (${key})` : ''}: ${err.message}`, { ...err.data, path, line, ...(key && { key }) })
    }
  }
  if (e.refInNewName) {
    if (e.newTag || e.digest) {
      const { line } = where(parsed, e.newName!.value as Node)
      throw new YamlError('YAML_UNSUPPORTED', `${path}: line ${line}: newName holds a tag or digest and the entry sets newTag or digest too; keep one`, { path, line })
    }
    const want = nextValue(valueOf(e), change)
    const { name } = splitRef(scalarString(e.newName!.value)!)
    replace(e.newName!, `${name}${want.tag !== undefined ? `:${want.tag}` : ''}${want.digest !== undefined ? `@${want.digest}` : ''}`)
    return out
  }
  const last = e.newName ?? e.name
  if (change.tag !== undefined) {
    if (e.newTag) replace(e.newTag, change.tag)
    else out.push(insertPairAfter(text, eol, e.map, last, 'newTag', change.tag))
  }
  if (change.digest !== undefined) {
    if (e.digest) replace(e.digest, change.digest)
    else out.push(insertPairAfter(text, eol, e.map, e.newTag ?? last, 'digest', change.digest))
  } else if (e.digest && change.tag !== undefined) {
    out.push(removePair(text, e.map, e.digest))
  }
  return out
}

function setIn(parsed: ParsedYaml, doc: Document.Parsed | undefined, map: YAMLMap | null, found: Entry[], change: SetImage, before: ImageValue | null, path: string): EditResult {
  if (change.tag === undefined && change.digest === undefined) {
    throw new ValidationError(`${path}: nothing to set: give a tag or a digest`, { path }, 'INVALID_INPUT')
  }
  const { text, eol } = parsed
  const splices: Splice[] = []

  if (found.length > 0) {
    for (const e of found) splices.push(...entrySplices(parsed, e, change, path))
  } else if (map && pairOf(map, 'images') && isSeq(pairOf(map, 'images')!.value)) {
    const seq = pairOf(map, 'images')!.value as import('yaml').YAMLSeq
    const lastItem = seq.items[seq.items.length - 1] as Node | undefined
    if (seq.flow || !lastItem?.range) {
      const item = `{name: ${renderScalar(change.image, undefined)}${change.tag !== undefined ? `, newTag: ${renderScalar(change.tag, undefined)}` : ''}${change.digest !== undefined ? `, digest: ${renderScalar(change.digest, undefined)}` : ''}}`
      const close = text.lastIndexOf(']', seq.range![1])
      splices.push({ start: close, end: close, insert: lastItem ? `, ${item}` : item })
    } else {
      const dash = text.lastIndexOf('-', lastItem.range[0] - 1)
      const end = text.indexOf('\n', lastItem.range[1] - 1)
      const at = end < 0 ? text.length : end + 1
      const lines = newEntryLines(change, columnOf(text, dash))
      splices.push(at === text.length && !text.endsWith('\n') ? { start: at, end: at, insert: eol + lines.join(eol) } : { start: at, end: at, insert: lines.join(eol) + eol })
    }
  } else if (map && pairOf(map, 'images')) {
    // `images:` with no value.
    const key = pairOf(map, 'images')!.key as Node
    const nl = text.indexOf('\n', key.range![1])
    const at = nl < 0 ? text.length : nl + 1
    const lines = newEntryLines(change, columnOf(text, key.range![0]) + sequenceIndent(text, doc!))
    splices.push({ start: at, end: at, insert: (nl < 0 ? eol : '') + lines.join(eol) + eol })
  } else {
    if (map && map.flow) throw new YamlError('YAML_UNSUPPORTED', `${path}: cannot add images to a flow-style kustomization`, { path })
    const indent = doc ? sequenceIndent(text, doc) : 0
    const lines = [`images:`, ...newEntryLines(change, indent)]
    const sep = text.length === 0 || text.endsWith('\n') ? '' : eol
    const body = text.trim().length === 0 || text.trimEnd() === '{}' ? '' : text
    const start = body === '' ? 0 : text.length
    splices.push({ start, end: text.length, insert: (body === '' ? '' : sep) + lines.join(eol) + eol })
  }

  const out = applySplices(text, splices)
  const after = nextValue(before, change)
  verify(out, change.image, after, path)
  return { text: out, changed: out !== text, before, after }
}

function verify(text: string, image: string, want: ImageValue, path: string): void {
  let got: ImageValue | null
  try {
    got = open(text, image, path).current
  } catch (e) {
    throw new EditVerifyError(`${path}: the edited file no longer parses`, { path, cause: (e as { code?: string }).code })
  }
  if (!got || got.tag !== want.tag || got.digest !== want.digest) {
    throw new EditVerifyError(`${path}: the edited file does not read back as the value set`, { path, want, got })
  }
}

export const kustomizeImages: ImageEditor = {
  format: 'kustomize',
  detect: (path) => FILE_NAMES.has(path.slice(path.lastIndexOf('/') + 1)),
  open,
  read: (text, image, path) => open(text, image, path).current,
  set: (text, change, path) => open(text, change.image, path).set(change),
}
