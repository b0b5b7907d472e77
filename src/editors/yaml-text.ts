import { parseAllDocuments, parse, isAlias, isMap, isScalar, isSeq, Scalar, YAMLMap, YAMLSeq, type Document, type Node, type Pair } from 'yaml'
import { YamlError } from '../core/errors.js'
import { MAX_FILE_BYTES } from './file-codec.js'

/**
 * Byte-exact YAML editing: the `yaml` library locates nodes (source ranges),
 * and we splice new text into the original string. Re-serialising the
 * document would reformat it, which is what users of the peers complain about.
 */

const MAX_ALIASES = 100
const MAX_DEPTH = 100

const BOM = '\uFEFF'

/** Nesting depth of flow and block structure, measured on the text before the parser recurses into it. */
function tooDeep(text: string): boolean {
  let flow = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x5b || c === 0x7b) {
      if (++flow > MAX_DEPTH) return true
    } else if (c === 0x5d || c === 0x7d) flow = Math.max(0, flow - 1)
  }
  let maxIndent = 0
  for (const m of text.matchAll(/^( *)(?:- *)*/gm)) maxIndent = Math.max(maxIndent, m[0].length)
  return maxIndent > MAX_DEPTH * 4
}

export interface ParsedYaml {
  /** The text without its byte-order mark: every range and splice is in this text. */
  readonly text: string
  /** The byte-order mark the file started with ('' if none); an edited text starts with it again. */
  readonly bom: string
  readonly docs: Document.Parsed[]
  readonly eol: '\n' | '\r\n'
}

/**
 * Parses every document of a (possibly multi-document) YAML text, refusing
 * hostile or broken input. A byte-order mark is set aside (`bom`), so that
 * columns on the first line and a text that is only the mark read as without it.
 */
export function parseYamlDocs(file: string, path = '<input>'): ParsedYaml {
  const bom = file.startsWith(BOM) ? BOM : ''
  const text = bom ? file.slice(1) : file
  if (text.length > MAX_FILE_BYTES) throw new YamlError('YAML_HOSTILE', `${path}: larger than ${MAX_FILE_BYTES} bytes`, { path })
  if (tooDeep(text)) throw new YamlError('YAML_HOSTILE', `${path}: nested deeper than ${MAX_DEPTH} levels`, { path })
  let docs: Document.Parsed[]
  try {
    docs = [...parseAllDocuments(text, { keepSourceTokens: true, uniqueKeys: true, strict: true, prettyErrors: false })]
  } catch (e) {
    throw new YamlError('YAML_HOSTILE', `${path}: could not be parsed safely`, { path, cause: (e as Error).name })
  }
  for (const doc of docs) {
    const err = doc.errors[0]
    if (err) {
      const code = err.code === 'DUPLICATE_KEY' ? 'YAML_HOSTILE' : 'YAML_INVALID'
      throw new YamlError(code, `${path}: ${err.code === 'DUPLICATE_KEY' ? 'duplicate key' : 'invalid YAML'} at line ${lineOf(text, err.pos[0])}`, {
        path,
        yamlCode: err.code,
        line: lineOf(text, err.pos[0]),
      })
    }
    // Expanding aliases is the costly check, and there is nothing to expand without a `*`.
    if (text.includes('*')) {
      try {
        doc.toJS({ maxAliasCount: MAX_ALIASES })
      } catch (e) {
        throw new YamlError('YAML_HOSTILE', `${path}: too many alias expansions`, { path, cause: (e as Error).name })
      }
    }
  }
  return { text, bom, docs, eol: text.includes('\r\n') ? '\r\n' : '\n' }
}

export function lineOf(text: string, pos: number): number {
  let n = 1
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) n++
  return n
}

/** Where a node sits, for messages: `spec.values.image.tag`, `args[2]`; undefined when it is not in the documents. Aliases are not followed. */
export function keyPathOf(parsed: ParsedYaml, target: unknown): string | undefined {
  const walk = (node: unknown, at: string): string | undefined => {
    if (node === target) return at
    if (isMap(node)) {
      for (const p of node.items) {
        const k = isScalar(p.key) ? String(p.key.value) : '?'
        const found = walk(p.value, at ? `${at}.${k}` : k)
        if (found !== undefined) return found
      }
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) {
        const found = walk(item, `${at}[${i}]`)
        if (found !== undefined) return found
      }
    }
    return undefined
  }
  for (const doc of parsed.docs) {
    const found = walk(doc.contents, '')
    if (found !== undefined) return found
  }
  return undefined
}

/** A byte-range replacement in the original text. */
export interface Splice {
  readonly start: number
  readonly end: number
  readonly insert: string
}

/** Applies non-overlapping splices (any order) to a text. */
export function applySplices(text: string, splices: readonly Splice[]): string {
  const sorted = [...splices].sort((a, b) => b.start - a.start)
  let out = text
  let limit = Infinity
  for (const s of sorted) {
    if (s.end > limit) throw new YamlError('YAML_UNSUPPORTED', 'overlapping edits', {})
    out = out.slice(0, s.start) + s.insert + out.slice(s.end)
    limit = s.start
  }
  return out
}

const YAML11_SPECIAL = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|[-+]?(?:0|[1-9][0-9_]*)(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)$/

/** True when `value` written bare would still read back as this exact string in YAML 1.1 and 1.2. */
export function plainIsSafe(value: string): boolean {
  if (value.length === 0 || YAML11_SPECIAL.test(value)) return false
  if (/^[\s\-?:,[\]{}#&*!|>'"%@`]/.test(value) || /[\s]$/.test(value) || /: |\s#|[\r\n]/.test(value)) return false
  for (const version of ['1.1', '1.2'] as const) {
    try {
      if (parse(value, { version }) !== value) return false
    } catch {
      return false
    }
  }
  return true
}

export function renderScalar(value: string, style: Scalar.Type | undefined): string {
  switch (style) {
    case Scalar.QUOTE_SINGLE:
      return `'${value.replace(/'/g, "''")}'`
    case Scalar.QUOTE_DOUBLE:
      return JSON.stringify(value)
    case undefined:
    case Scalar.PLAIN:
      return plainIsSafe(value) ? value : JSON.stringify(value)
    default:
      throw new YamlError('YAML_UNSUPPORTED', `cannot rewrite a ${style} scalar in place`, { style })
  }
}

/**
 * A scalar as a Go or kustomize reader sees it when decoding into a string:
 * a plain `1.10` is the text "1.10", not the number 1.1.
 */
export function scalarString(node: unknown): string | undefined {
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined
  if (typeof node.value === 'string') return node.value
  const src = (node as Scalar & { source?: string }).source
  return typeof src === 'string' ? src : String(node.value)
}

/** The pair with this key in a map, if any. */
export function pairOf(map: YAMLMap, key: string): Pair<Node, Node | null> | undefined {
  return map.items.find((p) => isScalar(p.key) && String(p.key.value) === key) as Pair<Node, Node | null> | undefined
}

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1
}

function lineEndAfter(text: string, pos: number): number {
  const nl = text.indexOf('\n', pos)
  return nl < 0 ? text.length : nl + 1
}

const PIN = /#\s*infra-sync:\s*pin\s*$/

/** Whether the line holding `pos` ends with a `# infra-sync: pin` comment: a human pinned that value. */
export function pinnedAt(text: string, pos: number): boolean {
  const start = lineStart(text, pos)
  const nl = text.indexOf('\n', pos)
  return PIN.test(text.slice(start, nl < 0 ? text.length : nl).replace(/\r$/, ''))
}

export function columnOf(text: string, pos: number): number {
  return pos - lineStart(text, pos)
}

function nodeRange(node: Node | null | undefined): [number, number, number] | undefined {
  return node?.range ?? undefined
}

/** Replace a pair's scalar value, keeping its quoting style. Splice is empty when the value is already equal. */
export function replaceValue(text: string, pair: Pair<Node, Node | null>, value: string): Splice | null {
  const v = pair.value
  const key = isScalar(pair.key) ? String(pair.key.value) : undefined
  if (isAlias(v)) throw new YamlError('YAML_UNSUPPORTED', `${key ?? 'the value'} is an alias; edit its anchor instead`, { key })
  // Writing after the colon would leave the old map or list behind it.
  if (v && !isScalar(v)) throw new YamlError('YAML_UNSUPPORTED', `${key ?? 'the value'} holds a ${isSeq(v) ? 'list' : 'map'}, not a value infra-sync can set`, { key })
  const vr = nodeRange(v)
  if (!v || !vr || vr[0] === vr[1] || v.value === null) {
    // `key:` with no value: write the value after the colon.
    const kr = nodeRange(pair.key)!
    const colon = text.indexOf(':', kr[1])
    return { start: colon + 1, end: colon + 1, insert: ` ${renderScalar(value, undefined)}` }
  }
  return replaceScalar(v, value)
}

/** Replace a scalar's text, keeping its quoting style; null when it already reads as `value` (a bare 1.10 does not). */
export function replaceScalar(node: Scalar, value: string): Splice | null {
  if (scalarString(node) === value && (typeof node.value === 'string' || plainIsSafe(value))) return null
  const r = node.range!
  return { start: r[0], end: r[1], insert: renderScalar(value, node.type) }
}

/** Insert `key: value` into a map right after `after` (a pair of the same map). */
export function insertPairAfter(text: string, eol: string, map: YAMLMap, after: Pair<Node, Node | null>, key: string, value: string): Splice {
  const rendered = `${key}: ${renderScalar(value, undefined)}`
  const afterEnd = (nodeRange(after.value) ?? nodeRange(after.key)!)[1]
  if (map.flow) return { start: afterEnd, end: afterEnd, insert: `, ${rendered}` }
  const firstKey = nodeRange(map.items[0]!.key as Node)!
  const indent = ' '.repeat(columnOf(text, firstKey[0]))
  // A nested block collection's range ends after its last newline: insert there, not a line later.
  const at = text.charCodeAt(afterEnd - 1) === 10 ? afterEnd : lineEndAfter(text, afterEnd)
  if (at === text.length && !text.endsWith('\n')) return { start: at, end: at, insert: `${eol}${indent}${rendered}` }
  return { start: at, end: at, insert: `${indent}${rendered}${eol}` }
}

/** Remove a pair from a map, with its line in block style. */
export function removePair(text: string, map: YAMLMap, pair: Pair<Node, Node | null>): Splice {
  const idx = map.items.indexOf(pair as never)
  const kr = nodeRange(pair.key)!
  const vr = nodeRange(pair.value) ?? kr
  const next = map.items[idx + 1] as Pair<Node, Node | null> | undefined
  const prev = map.items[idx - 1] as Pair<Node, Node | null> | undefined
  if (map.flow) {
    if (next) return { start: kr[0], end: nodeRange(next.key)![0], insert: '' }
    if (prev) return { start: (nodeRange(prev.value) ?? nodeRange(prev.key)!)[1], end: vr[1], insert: '' }
    return { start: kr[0], end: vr[1], insert: '' }
  }
  const ls = lineStart(text, kr[0])
  const onlyIndentBefore = /^ *$/.test(text.slice(ls, kr[0]))
  if (!onlyIndentBefore) {
    // `- key: value` on the dash line: pull the next key up to take its place.
    if (!next) throw new YamlError('YAML_UNSUPPORTED', 'cannot remove the only key of a sequence item', {})
    return { start: kr[0], end: nodeRange(next.key)![0], insert: '' }
  }
  return { start: ls, end: lineEndAfter(text, vr[1]), insert: '' }
}

/** The indentation a document uses for block sequences under a key: 0 (`- x` under `key:`) or the offset of the dash. */
export function sequenceIndent(text: string, doc: Document.Parsed): number {
  let found: number | undefined
  const visit = (node: unknown, keyCol: number): void => {
    if (found !== undefined) return
    if (isMap(node) && !node.flow) {
      for (const p of node.items) {
        const kr = nodeRange(p.key as Node)
        if (!kr) continue
        const v = p.value
        if (isSeq(v) && !v.flow && v.items.length > 0) {
          const first = nodeRange(v.items[0] as Node)
          if (first) {
            const dash = text.lastIndexOf('-', first[0] - 1)
            found = columnOf(text, dash) - columnOf(text, kr[0])
            return
          }
        }
        visit(v, columnOf(text, kr[0]))
      }
    } else if (isSeq(node)) for (const i of node.items) visit(i, keyCol)
  }
  visit(doc.contents, 0)
  return Math.max(0, found ?? 0)
}

export function isBlockMap(node: unknown): node is YAMLMap {
  return isMap(node) && !node.flow
}

export { isMap, isSeq, isScalar, YAMLMap, YAMLSeq }

