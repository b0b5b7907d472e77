import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'

/** One thing wrong with a document, at a path a person can find: `rateLimit.perSecond`, `environments.dev.path`, `branches[0]`. */
export interface SchemaProblem {
  readonly path: string
  /** The JSON Schema keyword that failed: additionalProperties (an unknown key), required, type, enum, pattern, minimum, … */
  readonly keyword: string
  readonly message: string
  /** For an unknown key or a value outside an enum: the known name closest to it, when one is close. */
  readonly suggestion?: string
}

export type SchemaCheck = (value: unknown) => SchemaProblem[]

type Schema = Record<string, unknown>

/**
 * A check that lists every problem with `schema`, each with its path. ajv
 * compiles the schema on first use (allErrors and verbose, which `problem`
 * reads), once per process: ~150 ms of CPU, paid by a process that reads a
 * config file, never per event.
 */
export function schemaCheck(schema: Schema): SchemaCheck {
  let compiled: ValidateFunction | undefined
  return (value) => {
    compiled ??= new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true, logger: false }).compile(schema)
    const validate = compiled
    if (validate(value)) return []
    const seen = new Set<string>()
    const out: SchemaProblem[] = []
    for (const e of (validate.errors ?? []) as ErrorObject[]) {
      const p = problem(e, value)
      if (!p) continue
      const id = `${p.path}\0${p.keyword}`
      if (seen.has(id)) continue
      seen.add(id)
      out.push(p)
    }
    return out
  }
}

/** The problems as one line each, for a message; the structured list goes in the error's data. */
export function describeProblems(problems: readonly SchemaProblem[], max = 10): string {
  const lines = problems.slice(0, max).map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`))
  if (problems.length > max) lines.push(`and ${problems.length - max} more`)
  return lines.join('; ')
}

function problem(e: ErrorObject, root: unknown): SchemaProblem | undefined {
  const segments = pointer(e.instancePath)
  const parentSchema = (e.parentSchema ?? {}) as Schema
  const at = (extra?: string) => renderPath(root, extra === undefined ? segments : [...segments, extra])
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty)
      const known = Object.keys((parentSchema.properties ?? {}) as Schema)
      const suggestion = nearest(key, known)
      const message = suggestion ? `unknown key; did you mean ${suggestion}?` : `unknown key; known: ${known.join(', ')}`
      return { path: at(key), keyword: e.keyword, message, ...(suggestion && { suggestion }) }
    }
    case 'required':
      return { path: at(String(e.params.missingProperty)), keyword: e.keyword, message: 'is required' }
    case 'propertyNames':
      // Reported by the keyword inside it (pattern, maxLength), which names the property.
      return undefined
    case 'type': {
      const expected = ([] as string[]).concat(e.params.type as string | string[])
      const words = expected.filter((t) => t !== 'null').map(typeWord)
      let message = e.data === null ? `is empty; write ${words.join(' or ')}` : `must be ${words.join(' or ')}`
      // YAML reads a bare 1.10 as the number 1.1: the value the person meant is already lost. Never echoed: it may be a secret.
      if (typeof e.data === 'number' && expected.includes('string')) message += ' (YAML read it as a number: write the value in quotes)'
      return { path: at(), keyword: e.keyword, message }
    }
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map(String)
      const suggestion = typeof e.data === 'string' ? nearest(e.data, allowed) : undefined
      const message = `must be one of ${allowed.join(', ')}${suggestion ? `; did you mean ${suggestion}?` : ''}`
      return { path: at(), keyword: e.keyword, message, ...(suggestion && { suggestion }) }
    }
    default: {
      const propertyName = (e as { propertyName?: string }).propertyName
      const what = typeof parentSchema.description === 'string' ? `: ${firstSentence(parentSchema.description)}` : ''
      if (propertyName !== undefined) return { path: at(propertyName), keyword: e.keyword, message: `is not a valid name${what}` }
      if (e.keyword === 'pattern') return { path: at(), keyword: e.keyword, message: `${JSON.stringify(e.data)} is not valid${what}` }
      if (e.keyword === 'minItems' && e.params.limit === 1) return { path: at(), keyword: e.keyword, message: 'must not be empty' }
      if (e.keyword === 'minLength' && e.params.limit === 1) return { path: at(), keyword: e.keyword, message: 'must not be empty' }
      if (e.keyword === 'minProperties' && e.params.limit === 1) return { path: at(), keyword: e.keyword, message: `must not be empty${what}` }
      return { path: at(), keyword: e.keyword, message: e.message ?? 'is not valid' }
    }
  }
}

function typeWord(t: string): string {
  return { object: 'a mapping', array: 'a list', string: 'a string', boolean: 'true or false', integer: 'a whole number', number: 'a number' }[t] ?? t
}

function firstSentence(s: string): string {
  const i = s.search(/\.(\s|$)/)
  return i < 0 ? s : s.slice(0, i)
}

function pointer(instancePath: string): string[] {
  if (instancePath === '') return []
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** `sources.acme/web.secret`, `branches[0]`: keys joined by dots, list positions in brackets. */
function renderPath(root: unknown, segments: readonly string[]): string {
  let out = ''
  let node = root
  for (const s of segments) {
    if (Array.isArray(node)) out += `[${s}]`
    else out += out === '' ? s : `.${s}`
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[s] : undefined
  }
  return out
}

/** The candidate closest to `word` (ignoring case), if it is close enough to be a likely typo. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase()
  const limit = Math.max(1, Math.floor(w.length / 3))
  let best: string | undefined
  let bestDistance = Infinity
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase())
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  return bestDistance <= limit ? best : undefined
}

/** Levenshtein distance counting a swap of neighbours as one edit (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  }
  return d[a.length]![b.length]!
}
