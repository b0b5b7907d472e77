import type { Document, Node, Pair } from 'yaml'
import { EditVerifyError, ValidationError, YamlError } from '../core/errors.js'
import { parseImageName, sameImage } from '../core/image-ref.js'
import { nextValue, type EditResult, type ImageEditor, type ImageValue, type OpenedImage, type SetImage } from './editor.js'
import {
  applySplices,
  columnOf,
  insertPairAfter,
  isMap,
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
}

function root(doc: Document.Parsed, path: string): YAMLMap | null {
  const c = doc.contents
  if (c === null || (isMap(c) && c.items.length === 0)) return null
  if (!isMap(c)) throw new YamlError('YAML_INVALID', `${path}: a kustomization must be a mapping`, { path })
  return c
}

function entries(map: YAMLMap | null, image: string, path: string): Entry[] {
  if (!map) return []
  const images = pairOf(map, 'images')?.value
  if (images === null || images === undefined || (isScalar(images) && images.value === null)) return []
  if (!isSeq(images)) throw new YamlError('YAML_INVALID', `${path}: images must be a list`, { path })
  const out: Entry[] = []
  for (const item of images.items) {
    if (!isMap(item)) continue
    const name = pairOf(item, 'name')
    if (!name) continue
    const newName = pairOf(item, 'newName')
    const produced = scalarString(newName?.value) ?? scalarString(name.value)
    if (!produced || !sameImage(produced, image)) continue
    const newTag = pairOf(item, 'newTag')
    const digest = pairOf(item, 'digest')
    out.push({ map: item, name, ...(newName && { newName }), ...(newTag && { newTag }), ...(digest && { digest }) })
  }
  return out
}

function valueOf(e: Entry): ImageValue {
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
function open(text: string, image: string, path = 'kustomization.yaml'): OpenedImage {
  parseImageName(image)
  const { parsed, doc } = only(text, path)
  const map = doc ? root(doc, path) : null
  const found = entries(map, image, path)
  const current = found[0] ? valueOf(found[0]) : null
  const pinned = found.some((e) => [e.name, e.newName, e.newTag, e.digest].some((p) => p && pinnedAt(text, (p.value?.range ?? p.key.range)![0])))
  return { current, canAdd: true, pinned, set: (value) => setIn(text, parsed.eol, doc, map, found, { image, ...value }, current, path) }
}

function newEntryLines(change: SetImage, baseIndent: number): string[] {
  const pad = ' '.repeat(baseIndent)
  const lines = [`${pad}- name: ${renderScalar(change.image, undefined)}`]
  if (change.tag !== undefined) lines.push(`${pad}  newTag: ${renderScalar(change.tag, undefined)}`)
  if (change.digest !== undefined) lines.push(`${pad}  digest: ${renderScalar(change.digest, undefined)}`)
  return lines
}

function setIn(text: string, eol: string, doc: Document.Parsed | undefined, map: YAMLMap | null, found: Entry[], change: SetImage, before: ImageValue | null, path: string): EditResult {
  if (change.tag === undefined && change.digest === undefined) {
    throw new ValidationError('nothing to set: give a tag or a digest', { path }, 'INVALID_INPUT')
  }
  const splices: Splice[] = []

  if (found.length > 0) {
    for (const e of found) {
      const last = e.newName ?? e.name
      if (change.tag !== undefined) {
        if (e.newTag) {
          const s = replaceValue(text, e.newTag, change.tag)
          if (s) splices.push(s)
        } else splices.push(insertPairAfter(text, eol, e.map, last, 'newTag', change.tag))
      }
      if (change.digest !== undefined) {
        if (e.digest) {
          const s = replaceValue(text, e.digest, change.digest)
          if (s) splices.push(s)
        } else splices.push(insertPairAfter(text, eol, e.map, e.newTag ?? last, 'digest', change.digest))
      } else if (e.digest && change.tag !== undefined) {
        splices.push(removePair(text, e.map, e.digest))
      }
    }
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
