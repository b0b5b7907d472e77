import fs from 'node:fs'
import { Ajv, type ValidateFunction } from 'ajv'

/**
 * Checks the fake's requests and answers against test/fixtures/github/openapi.json, the subset of GitHub's
 * published REST description (`npm run github-openapi` writes it). Built once per process: compiling is the cost.
 */
const FIXTURE = new URL('../../fixtures/github/openapi.json', import.meta.url)
const DOC_ID = 'https://fake-github.test/openapi.json'

/**
 * Answers any GitHub operation can give though many descriptions omit them (auth, rate limits, an unknown
 * id, unparseable JSON, a refused value): their bodies are checked against these schemas instead.
 */
const GENERIC_STATUSES = new Map([
  [400, 'basic-error'],
  [401, 'basic-error'],
  [403, 'basic-error'],
  [404, 'basic-error'],
  [422, 'validation-error'],
])

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
type JsonObject = { [k: string]: Json }

interface Parameter {
  name: string
  in: string
  required?: boolean
  schema?: JsonObject
}

export interface Operation {
  readonly id: string
  readonly method: string
  readonly template: string
  readonly params: Record<string, string>
}

/** OpenAPI 3.0's `nullable` as JSON Schema: ajv's own support needs `type` beside it, and GitHub's often has none. */
function nullableToJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(nullableToJsonSchema)
  if (node === null || typeof node !== 'object') return node
  const out: JsonObject = {}
  for (const [k, v] of Object.entries(node)) out[k] = nullableToJsonSchema(v)
  if (out.nullable !== true) return out
  delete out.nullable
  if (typeof out.type === 'string' && !('$ref' in out) && !('enum' in out)) return { ...out, type: [out.type, 'null'] }
  return { anyOf: [out, { type: 'null' }] }
}

const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i

function makeAjv(coerceTypes: boolean): Ajv {
  return new Ajv({
    strict: false,
    allErrors: false,
    coerceTypes,
    logger: false,
    formats: {
      'date-time': DATE_TIME,
      date: /^\d{4}-\d\d-\d\d$/,
      // GitHub's description gives "" as the default of several uri fields (deployment statuses), and sends it.
      uri: (s: string) => s === '' || URL.canParse(s),
      'uri-template': true,
      email: /^[^\s@]+@[^\s@]+$/,
      int32: true,
      int64: true,
      binary: true,
      hostname: true,
    },
  })
}

function pointer(...parts: string[]): string {
  return `${DOC_ID}#/${parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`
}

export class OpenApiValidator {
  private readonly doc: JsonObject
  private readonly ajv = makeAjv(false)
  private readonly coercing = makeAjv(true)
  private readonly compiled = new Map<string, ValidateFunction>()
  private readonly routes: { method: string; template: string; regex: RegExp; names: string[]; id: string }[] = []

  constructor() {
    this.doc = nullableToJsonSchema(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Json) as JsonObject
    const withId = { ...this.doc, $id: DOC_ID }
    this.ajv.addSchema(withId)
    this.coercing.addSchema(withId)
    for (const [template, methods] of Object.entries(this.doc.paths as Record<string, Record<string, JsonObject>>)) {
      const names: string[] = []
      const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => {
        names.push(name)
        return '([^/]+)'
      })
      for (const [method, op] of Object.entries(methods)) {
        this.routes.push({ method: method.toUpperCase(), template, regex: new RegExp(`^${source}$`), names, id: String(op.operationId) })
      }
    }
  }

  /** The subset operation a request is for, or undefined when the fake does not know it. */
  match(method: string, path: string): Operation | undefined {
    for (const r of this.routes) {
      if (r.method !== method) continue
      const m = r.regex.exec(path)
      if (!m) continue
      const params: Record<string, string> = {}
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)))
      return { id: r.id, method: r.method, template: r.template, params }
    }
    return undefined
  }

  private op(o: Operation): JsonObject {
    return (this.doc.paths as Record<string, Record<string, JsonObject>>)[o.template]![o.method.toLowerCase()]!
  }

  private resolve<T>(node: Json | undefined): T {
    let n = node
    while (n && typeof n === 'object' && !Array.isArray(n) && typeof n.$ref === 'string') {
      const parts = n.$ref.replace(/^#\//, '').split('/')
      n = parts.reduce<Json | undefined>((acc, p) => (acc as JsonObject | undefined)?.[p], this.doc)
    }
    return n as T
  }

  private validator(key: string, ajv: Ajv, schema: () => object): ValidateFunction {
    let v = this.compiled.get(key)
    if (!v) {
      v = ajv.compile(schema())
      this.compiled.set(key, v)
    }
    return v
  }

  private errorsOf(v: ValidateFunction): string {
    return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'allowedValues' in e.params ? ` ${JSON.stringify(e.params.allowedValues)}` : ''}`).join('; ')
  }

  /** Parameters of one location as one object schema (query values arrive as strings: coerced). */
  private checkParams(o: Operation, where: 'path' | 'query', values: Record<string, string>): string[] {
    const params = ((this.op(o).parameters as Json[] | undefined) ?? []).map((p) => this.resolve<Parameter>(p)).filter((p) => p.in === where)
    const v = this.validator(`${o.id} ${where}`, this.coercing, () => ({
      type: 'object',
      properties: Object.fromEntries(params.map((p) => [p.name, p.schema ?? {}])),
      required: params.filter((p) => p.required).map((p) => p.name),
    }))
    const data: Record<string, unknown> = { ...values }
    return v(data) ? [] : [`${o.id}: ${where} parameters: ${this.errorsOf(v)}`]
  }

  /** Violations of a request; `kind` tells how GitHub would refuse it (404 for a path, 422 otherwise). */
  checkRequest(o: Operation, req: { query: Record<string, string>; body: unknown; hasBody: boolean }): { errors: string[]; kind?: 'path' | 'query' | 'body' } {
    const pathErrors = this.checkParams(o, 'path', o.params)
    if (pathErrors.length) return { errors: pathErrors, kind: 'path' }
    const queryErrors = this.checkParams(o, 'query', req.query)
    if (queryErrors.length) return { errors: queryErrors, kind: 'query' }
    const rb = this.resolve<{ required?: boolean; content?: Record<string, unknown> } | undefined>(this.op(o).requestBody as Json)
    if (!rb) return { errors: [] }
    if (!req.hasBody) return rb.required ? { errors: [`${o.id}: the request body is required`], kind: 'body' } : { errors: [] }
    if (!rb.content?.['application/json']) return { errors: [`${o.id}: no JSON request body is described`], kind: 'body' }
    const v = this.validator(`${o.id} body`, this.ajv, () => ({ $ref: pointer('paths', o.template, o.method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema') }))
    return v(req.body) ? { errors: [] } : { errors: [`${o.id}: request body: ${this.errorsOf(v)}`], kind: 'body' }
  }

  /** Violations of an answer: its status must be described, its body must match that status's schema. */
  checkResponse(o: Operation, status: number, body: unknown): string[] {
    const responses = this.op(o).responses as JsonObject
    let ref: string
    if (responses[String(status)] !== undefined) {
      const described = responses[String(status)] as JsonObject
      const resolved = this.resolve<{ content?: Record<string, unknown> }>(described)
      if (resolved.content?.['application/json']) {
        const base = typeof described.$ref === 'string' ? described.$ref.replace(/^#\//, '').split('/') : ['paths', o.template, o.method.toLowerCase(), 'responses', String(status)]
        ref = pointer(...base, 'content', 'application/json', 'schema')
      } else if (GENERIC_STATUSES.has(status) && body !== undefined) {
        // Described without a body (pulls/request-reviewers' 422), though GitHub sends its usual error body.
        ref = pointer('components', 'schemas', GENERIC_STATUSES.get(status)!)
      } else {
        return []
      }
    } else if (GENERIC_STATUSES.has(status)) {
      ref = pointer('components', 'schemas', GENERIC_STATUSES.get(status)!)
    } else {
      return [`${o.id}: status ${status} is not described`]
    }
    const v = this.validator(ref, this.ajv, () => ({ $ref: ref }))
    return v(body) ? [] : [`${o.id}: ${status} response: ${this.errorsOf(v)}`]
  }

  /** Violations of a webhook payload, against the description's x-webhooks. */
  checkWebhook(name: string, payload: unknown): string[] {
    const ref = pointer('x-webhooks', name, 'post', 'requestBody', 'content', 'application/json', 'schema')
    const v = this.validator(ref, this.ajv, () => ({ $ref: ref }))
    return v(payload) ? [] : [`webhook ${name}: ${this.errorsOf(v)}`]
  }
}

let shared: OpenApiValidator | undefined
export function openApiValidator(): OpenApiValidator {
  return (shared ??= new OpenApiValidator())
}
