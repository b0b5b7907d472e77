import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Pair } from 'yaml'

export interface Position {
  readonly line: number
  readonly column: number
}

const START: Position = { line: 1, column: 1 }

/**
 * Where things are in one YAML document's text, from the `yaml` package's
 * parse with a LineCounter (js-yaml, which the config parser uses, keeps no
 * positions). Never throws: untrusted text gives 1:1 at worst. Aliases are
 * not expanded (the parse keeps them as nodes), so a bomb costs nothing here.
 */
export class YamlPositions {
  private readonly lines = new LineCounter()
  private readonly docs: Document.Parsed[]
  private readonly doc: Document.Parsed | null

  /** `index`: which document of a multi-document file `of` looks in. */
  constructor(text: string, index = 0) {
    let docs: Document.Parsed[] = []
    try {
      const parsed = parseAllDocuments(text, { lineCounter: this.lines, uniqueKeys: false, prettyErrors: false })
      docs = Array.isArray(parsed) ? parsed : []
    } catch {
      docs = []
    }
    this.docs = docs
    this.doc = docs[index] ?? null
  }

  /** The first syntax error's position and one-line message (in any document); null when the text parses. */
  syntaxError(): { readonly position: Position; readonly message: string } | null {
    const e = this.docs.flatMap((d) => d.errors)[0]
    if (!e) return null
    return { position: this.at(e.pos[0]), message: e.message.split('\n')[0]!.trim() }
  }

  /**
   * The position of `path` as schema-check.ts renders it (`environments.dev.path`,
   * `branches[0]`): the value's, or the key's when `key` is set or the value is
   * empty. A path that is not all there gives its deepest existing part.
   */
  of(path: string, key = false): Position {
    const root = this.doc?.contents
    if (!root) return START
    if (path === '') return this.at(root.range?.[0])
    let node: unknown = root
    let rest = path
    let last: Pair | null = null
    let best = this.at(root.range?.[0])
    while (rest !== '') {
      if (isSeq(node)) {
        const m = /^\[(\d+)\]\.?/.exec(rest)
        const item = m ? node.items[Number(m[1])] : undefined
        if (!m || item === undefined) return best
        rest = rest.slice(m[0].length)
        node = item
        last = null
        best = this.at((item as { range?: [number, number, number] }).range?.[0])
        continue
      }
      if (!isMap(node)) return best
      // The longest key that starts the rest: a key may itself hold a dot.
      let found: Pair | null = null
      let used = 0
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : null
        if (k === null || k.length <= used) continue
        if (rest === k || rest.startsWith(`${k}.`) || rest.startsWith(`${k}[`)) {
          found = pair
          used = k.length
        }
      }
      if (!found) return best
      rest = rest.slice(used).replace(/^\./, '')
      last = found
      node = found.value
      best = this.at((found.key as { range?: [number, number, number] }).range?.[0])
    }
    if (last && isPair(last) && !key) {
      const value = last.value as { range?: [number, number, number] } | null
      if (value?.range && !(isScalar(value) && value.value === null && value.range[0] === value.range[1])) return this.at(value.range[0])
    }
    return best
  }

  private at(offset: number | undefined): Position {
    if (offset === undefined) return START
    const p = this.lines.linePos(offset)
    return { line: Math.max(1, p.line), column: Math.max(1, p.col) }
  }
}
