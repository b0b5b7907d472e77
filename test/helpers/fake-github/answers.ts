import type { Actor } from './auth.js'
import type { Hub } from './hub.js'
import type { Operation } from './openapi-validator.js'

/** One API call as a route handler sees it (already authenticated, rate-limited and validated). */
export interface ApiCall {
  readonly hub: Hub
  readonly op: Operation
  readonly query: Record<string, string>
  // Validated against the description before a handler runs.
  readonly body: any
  readonly actor: Actor
  /** The login the actor acts as. */
  readonly login: string
}

export interface ApiAnswer {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export type Handler = (call: ApiCall) => Promise<ApiAnswer>

const DOCS = 'https://docs.github.com/rest'

export const notFound = (): ApiAnswer => ({ status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } })

export const badCredentials = (): ApiAnswer => ({ status: 401, body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' } })

export const message = (status: number, text: string): ApiAnswer => ({ status, body: { message: text, documentation_url: DOCS, status: String(status) } })

export interface FieldError {
  resource: string
  code: string
  field?: string
  message?: string
}

/** 422 as GitHub words a refused change: "Validation Failed" with one entry per problem. */
export const validationFailed = (...errors: FieldError[]): ApiAnswer => ({
  status: 422,
  body: { message: 'Validation Failed', errors, documentation_url: DOCS, status: '422' },
})

/** 422 for a body or query that does not match the description, as GitHub's own schema check answers. */
export const invalidRequest = (detail: string): ApiAnswer => message(422, `Invalid request.\n\n${detail}`)

/** GitHub compares owner and repository names without regard to case. */
export const sameRepo = (call: ApiCall): boolean =>
  `${call.op.params.owner}/${call.op.params.repo}`.toLowerCase() === call.hub.fullName.toLowerCase()
