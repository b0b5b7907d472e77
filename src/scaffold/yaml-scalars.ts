import { isMap, isPair, isScalar, isSeq, parseAllDocuments, visit, type Document } from 'yaml'
import { ScaffoldError } from './scaffold-errors.js'

/** Where a scalar is: its document in the file, and the keys of the mappings around it (sequence positions left out). */
export interface ScalarSite {
  readonly doc: number
  readonly keys: readonly string[]
}

/** A scalar's new value, and its new text given the text as written (quotes, block header and all). */
export interface ScalarEdit {
  readonly value: string
  readonly rewrite: (written: string) => string
}

export type ScalarRule = (value: string, site: ScalarSite) => ScalarEdit | undefined

/** Parses every document of a YAML file, refusing one that does not parse (a template is trusted text, but a broken one must not be half-filled). */
export function parseYamlFile(text: string, file: string): Document[] {
  const docs = parseAllDocuments(text)
  if (!Array.isArray(docs)) throw new ScaffoldError('TEMPLATE_INVALID', `${file}: not YAML`, { file })
  for (const d of docs) {
    if (d.errors.length > 0) throw new ScaffoldError('TEMPLATE_INVALID', `${file}: ${d.errors[0]!.message.split('\n')[0]}`, { file })
  }
  return docs
}

interface Seen {
  readonly value: unknown
  readonly range: readonly [number, number]
  readonly site: ScalarSite
  /** The kinds of the nodes around it, so a rewrite that changes the shape (a value become a list) is caught. */
  readonly shape: string
}

function scalars(docs: readonly Document[]): Seen[] {
  const out: Seen[] = []
  docs.forEach((doc, i) => {
    visit(doc, {
      Scalar(key, node, path) {
        // Keys are left alone: renaming one would change what the file means, not just a name in it.
        if (key === 'key' || !node.range) return
        const keys: string[] = []
        for (const a of path) if (isPair(a) && isScalar(a.key)) keys.push(String(a.key.value))
        const shape = path.map((a) => (isPair(a) ? 'P' : isMap(a) ? 'M' : isSeq(a) ? 'S' : 'D')).join('')
        out.push({ value: node.value, range: [node.range[0], node.range[1]], site: { doc: i, keys }, shape })
      },
    })
  })
  return out
}

/**
 * Rewrites string scalar values in place by editing their text only, so every
 * other byte (comments, quoting, indentation, order) stays as it was. The
 * result is parsed again and every scalar compared with what the rule asked
 * for: a rewrite that would change anything else is refused, not written.
 */
export function rewriteScalars(text: string, file: string, rule: ScalarRule): string {
  const before = scalars(parseYamlFile(text, file))
  const expected: { value: unknown; shape: string; doc: number }[] = []
  const edits: { start: number; end: number; text: string }[] = []
  for (const s of before) {
    const edit = typeof s.value === 'string' ? rule(s.value, s.site) : undefined
    expected.push({ value: edit ? edit.value : s.value, shape: s.shape, doc: s.site.doc })
    if (!edit || edit.value === s.value) continue
    const [start, end] = s.range
    edits.push({ start, end, text: edit.rewrite(text.slice(start, end)) })
  }
  if (edits.length === 0) return text
  let out = ''
  let at = 0
  for (const e of edits) {
    out += text.slice(at, e.start) + e.text
    at = e.end
  }
  out += text.slice(at)
  const after = scalars(parseYamlFile(out, file))
  const same = after.length === expected.length && after.every((s, i) => s.value === expected[i]!.value && s.shape === expected[i]!.shape && s.site.doc === expected[i]!.doc)
  if (!same) throw new ScaffoldError('TEMPLATE_INVALID', `${file}: cannot fill in the names without changing other values (quoting or escapes new does not rewrite)`, { file })
  return out
}

const ALNUM = /[A-Za-z0-9]/

/**
 * Replaces `token` wherever it stands as a whole name: not touching a letter
 * or digit on either side (`my-service`, `my-service-config`,
 * `flux-system:my-service`; never `not-my-service2`).
 */
export function replaceToken(s: string, token: string, by: string): string {
  if (token === '') return s
  let out = ''
  let at = 0
  for (let i = s.indexOf(token); i >= 0; i = s.indexOf(token, i + token.length)) {
    const before = i > 0 ? s[i - 1]! : ''
    const after = s[i + token.length] ?? ''
    if (ALNUM.test(before) || ALNUM.test(after)) continue
    out += s.slice(at, i) + by
    at = i + token.length
  }
  return out + s.slice(at)
}

/** A rule that replaces a whole-name token in every string value. */
export const tokenRule = (token: string, by: string): ScalarRule => (value) => {
  const next = replaceToken(value, token, by)
  return next === value ? undefined : { value: next, rewrite: (w) => replaceToken(w, token, by) }
}
