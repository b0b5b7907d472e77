import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from 'yaml'
import { ValidationError } from '../core/errors.js'
import { scalarString } from './yaml-text.js'

/**
 * A Helm values key path (`api.image.tag`, `workers[0].image`) walked the way
 * Helm reads the values: aliases and merge keys (`<<: *defaults`) lead to the
 * node they stand for, so what the key names is edited at its anchor.
 */
type AnyPair = Pair<Node, Node | null>
export type KeySegment = string | number

/** `a.b[0].c` or `a.b.0.c` → ['a', 'b', 0, 'c']. */
export function parseKeyPath(key: string): KeySegment[] {
  if (typeof key !== 'string' || key.trim() === '' || key.length > 512) throw new ValidationError(`invalid key path ${JSON.stringify(key)}`, { key }, 'INVALID_KEY')
  const out: KeySegment[] = []
  for (const part of key.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part)
    if (!m || (m[1] === '' && m[2] === '')) throw new ValidationError(`invalid key path ${JSON.stringify(key)}`, { key }, 'INVALID_KEY')
    if (m[1] !== '') out.push(/^\d+$/.test(m[1]!) ? Number(m[1]) : m[1]!)
    for (const i of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(i[1]))
  }
  return out
}

/** `['a', 'b', 0]` → `a.b[0]`. */
export function formatKeyPath(segs: readonly KeySegment[]): string {
  return segs.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('')
}

/** Why a key path leads nowhere: stable, callers put it in the error's `data.reason`. */
export type KeyMissReason = 'no-such-key' | 'not-a-map' | 'list-needs-index' | 'index-out-of-range'

export interface KeyMiss {
  readonly reason: KeyMissReason
  /** Index of the segment that could not be followed. */
  readonly at: number
  /** The anchor of the alias the walk came through to the node that failed, if it did. */
  readonly alias?: string
  /** What stood in the way: the scalar's text, or the list's length. */
  readonly found?: string
  readonly items?: number
}

export interface KeyFound {
  /** What the key names, aliases resolved. */
  readonly node: unknown
  /** The map the last segment was found in (through merge keys, the merged map); null for a list item. */
  readonly map: YAMLMap | null
  /** The pair that holds `node`: the key's own, or through an alias the anchor's; none for a list item. */
  readonly pair?: AnyPair
  readonly throughAlias: boolean
}

export type KeyWalk = { readonly found: KeyFound } | { readonly missingLast: YAMLMap } | { readonly miss: KeyMiss }

/** A plain `<<` key: a merge in YAML 1.1 and in Helm's Go YAML reader, whatever the document's version. */
function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false
  const v = key.value
  return (v === '<<' && key.type === 'PLAIN') || (typeof v === 'symbol' && v.description === '<<')
}

/** The pair for `key` in `map`: its own first, then in the maps it merges, earlier ones first (the YAML merge rule). */
function lookup(doc: Document.Parsed, map: YAMLMap, key: string, seen = new Set<YAMLMap>()): { pair: AnyPair; map: YAMLMap } | undefined {
  seen.add(map)
  const own = map.items.find((p) => isScalar(p.key) && !isMergeKey(p.key) && String(p.key.value) === key)
  if (own) return { pair: own as AnyPair, map }
  for (const p of map.items) {
    if (!isMergeKey(p.key)) continue
    for (const source of isSeq(p.value) ? p.value.items : [p.value]) {
      const m = isAlias(source) ? source.resolve(doc) : source
      if (!isMap(m) || seen.has(m)) continue
      const hit = lookup(doc, m, key, seen)
      if (hit) return hit
    }
  }
  return undefined
}

/** The pair whose value is `node`, found without following aliases (an anchored node is written once). */
export function ownerPair(doc: Document.Parsed, node: unknown): AnyPair | undefined {
  const visit = (n: unknown): AnyPair | undefined => {
    if (isMap(n)) {
      for (const p of n.items) {
        if (p.value === node) return p as AnyPair
        const hit = visit(p.value)
        if (hit) return hit
      }
    } else if (isSeq(n)) for (const i of n.items) {
      const hit = visit(i)
      if (hit) return hit
    }
    return undefined
  }
  return visit(doc.contents)
}

export function walkKeyPath(doc: Document.Parsed, segs: readonly KeySegment[]): KeyWalk {
  let node: unknown = doc.contents
  let alias: string | undefined
  let found: KeyFound | undefined
  for (const [i, seg] of segs.entries()) {
    const miss = (reason: KeyMissReason, extra: Partial<KeyMiss> = {}): KeyWalk => ({ miss: { reason, at: i, ...(alias !== undefined && { alias }), ...extra } })
    if (isMap(node)) {
      const hit = lookup(doc, node, String(seg))
      if (!hit) return i === segs.length - 1 ? { missingLast: node } : miss('no-such-key')
      found = { node: hit.pair.value, map: hit.map, pair: hit.pair, throughAlias: false }
    } else if (isSeq(node)) {
      if (typeof seg !== 'number') return miss('list-needs-index')
      if (seg >= node.items.length) return miss('index-out-of-range', { items: node.items.length })
      found = { node: node.items[seg], map: null, throughAlias: false }
    } else {
      return miss('not-a-map', { found: scalarString(node) ?? '' })
    }
    alias = undefined
    if (isAlias(found.node)) {
      alias = found.node.source
      const target = found.node.resolve(doc)
      const pair = ownerPair(doc, target)
      found = { node: target, map: found.map, ...(pair && { pair }), throughAlias: true }
    }
    node = found.node
  }
  return found ? { found } : { miss: { reason: 'not-a-map', at: 0 } }
}
