import { isValidSource, normaliseSource } from '../core/build-event.js'
import { ValidationError } from '../core/errors.js'

/** The request header that names the source before verification. */
export const SOURCE_HEADER = 'infra-sync-source'

function one(where: string, v: unknown): string | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'string' || !isValidSource(v)) throw new ValidationError(`${where} must name one source as owner/repository`, { field: where }, 'INVALID_INPUT')
  return normaliseSource(v)
}

/**
 * The source a request names, from the `infra-sync-source` header or the
 * `source` query parameter (for senders that cannot set headers, such as
 * GitHub's hooks). Both may be given only if they agree.
 */
export function namedSource(headers: Record<string, string | string[] | undefined>, query: unknown): string | undefined {
  const fromHeader = one(SOURCE_HEADER, headers[SOURCE_HEADER])
  const q = typeof query === 'object' && query !== null ? (query as Record<string, unknown>).source : undefined
  const fromQuery = one('?source', q)
  if (fromHeader && fromQuery && fromHeader !== fromQuery) throw new ValidationError(`${SOURCE_HEADER} and ?source name different sources`, { field: 'source' }, 'INVALID_INPUT')
  return fromHeader ?? fromQuery
}
