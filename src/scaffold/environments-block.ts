import { isMap, isScalar, type Document, type Pair } from 'yaml'
import { ScaffoldError } from './scaffold-errors.js'
import { parseYamlFile, replaceToken } from './yaml-scalars.js'

/** One entry of a template's `environments:` mapping, as new needs to know it. */
export interface TemplateEnvironment {
  readonly name: string
  /** The `path` value as written; undefined: the default, overlays/<name>. */
  readonly path?: string
  readonly update?: string
}

/** Which entry each environment of the new folder is written from (`from === name`: the template's own entry, unchanged). */
export interface EnvironmentSource {
  readonly name: string
  readonly from: string
}

function environmentsPair(doc: Document, file: string): Pair | null {
  if (!isMap(doc.contents)) throw new ScaffoldError('TEMPLATE_INVALID', `${file}: not a mapping`, { file })
  const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'environments')
  if (!pair || pair.value === null || (isScalar(pair.value) && pair.value.value === null)) return null
  if (!isMap(pair.value) || pair.value.flow) throw new ScaffoldError('TEMPLATE_INVALID', `${file}: environments: must be a block mapping for new to edit it`, { file })
  return pair as Pair
}

const scalarText = (node: unknown): string | undefined => (isScalar(node) && typeof node.value === 'string' ? node.value : undefined)

/** The template's environments in file order; null when it has no `environments:` (then one per overlays/* folder). */
export function readEnvironments(text: string, file: string): TemplateEnvironment[] | null {
  const doc = parseYamlFile(text, file)[0]
  if (!doc) return null
  const pair = environmentsPair(doc, file)
  if (!pair) return null
  return (pair.value as { items: Pair[] }).items.map((p) => {
    const name = String(isScalar(p.key) ? p.key.value : '')
    const v = isMap(p.value) ? p.value : null
    const path = scalarText(v?.get('path', true))
    const update = scalarText(v?.get('update', true))
    return { name, ...(path !== undefined && { path }), ...(update !== undefined && { update }) }
  })
}

const lineStart = (text: string, at: number) => text.lastIndexOf('\n', at - 1) + 1
const lineEnd = (text: string, at: number) => {
  const nl = text.indexOf('\n', at)
  return nl < 0 ? text.length : nl + 1
}

/**
 * Rewrites the `environments:` block of infra-sync.yaml by whole entries, as
 * text: each entry (with the comment lines just above it) is kept, dropped,
 * or copied under a new name with its overlays/<from> path renamed, so the
 * template's comments and layout survive. Entries come out in the order given.
 */
export function rewriteEnvironments(text: string, file: string, wanted: readonly EnvironmentSource[]): string {
  const doc = parseYamlFile(text, file)[0]
  const pair = doc && environmentsPair(doc, file)
  if (!pair) return text
  const items = (pair.value as { items: Pair[] }).items
  const starts = items.map((p) => (p.key as { range: [number, number, number] }).range[0])
  const blocks = new Map<string, { start: number; text: string; pair: Pair }>()
  const first = lineStart(text, starts[0]!)
  const lastValue = items[items.length - 1]!.value as { range?: [number, number, number] } | null
  const last = lineEnd(text, Math.max(starts[starts.length - 1]!, (lastValue?.range?.[1] ?? 1) - 1))
  items.forEach((p, i) => {
    // Comment lines right above an entry speak about it: they travel with it.
    const start = i === 0 ? first : blockStartOf(text, starts[i]!, first)
    const end = i + 1 < items.length ? blockStartOf(text, starts[i + 1]!, first) : last
    let body = text.slice(start, end)
    if (!body.endsWith('\n')) body += '\n'
    blocks.set(String((p.key as { value: unknown }).value), { start, text: body, pair: p })
  })
  let out = ''
  for (const w of wanted) {
    const b = blocks.get(w.from)
    if (!b) throw new ScaffoldError('TEMPLATE_INVALID', `${file}: no environment ${w.from} to copy`, { file })
    out += w.name === w.from ? b.text : renamed(b, w, file)
  }
  return text.slice(0, first) + out + text.slice(last)
}

/** Where entry i+1's block starts: its key's line, or the first of the comment lines right above it. */
function blockStartOf(text: string, keyAt: number, floor: number): number {
  let start = lineStart(text, keyAt)
  for (let s = lineStart(text, start - 1); s < start && s > floor; s = lineStart(text, s - 1)) {
    if (!text.slice(s, start).trim().startsWith('#')) break
    start = s
  }
  return start
}

function renamed(b: { start: number; text: string; pair: Pair }, w: EnvironmentSource, file: string): string {
  const edits: { at: number; end: number; text: string }[] = []
  const key = b.pair.key as { range: [number, number, number] }
  edits.push({ at: key.range[0], end: key.range[1], text: w.name })
  const pathNode = isMap(b.pair.value) ? b.pair.value.get('path', true) : undefined
  if (pathNode !== undefined) {
    const value = scalarText(pathNode)
    const norm = value?.replace(/^\.\//, '').replace(/\/$/, '')
    if (norm !== `overlays/${w.from}`) {
      throw new ScaffoldError('TEMPLATE_INVALID', `${file}: environment ${w.from} is not in overlays/${w.from}; new derives other environments only from an overlay`, { file, environment: w.from })
    }
    const r = (pathNode as { range: [number, number, number] }).range
    edits.push({ at: r[0], end: r[1], text: replaceToken(b.text.slice(r[0] - b.start, r[1] - b.start), w.from, w.name) })
  }
  edits.sort((x, y) => y.at - x.at)
  let t = b.text
  for (const e of edits) t = t.slice(0, e.at - b.start) + e.text + t.slice(e.end - b.start)
  return t
}
