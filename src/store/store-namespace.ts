import { ConfigError, ValidationError } from '../core/errors.js'

// No pg and no fs here: openStore checks a namespace before any store is loaded.

/** One infra repo's part of a database: lower-case, digits and dashes, so it is a file suffix and a schema name as it is. */
const NAMESPACE = /^[a-z0-9][a-z0-9-]{0,39}$/

/** An id as event-id.ts makes them: a ULID (26 Crockford base32 characters, the first at most 7 since the time is 48 bits). */
const EVENT_ID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/

/** Throws ConfigError unless `namespace` is one (the name comes from the configuration). */
export function checkNamespace(namespace: string): string {
  if (!NAMESPACE.test(namespace)) {
    throw new ConfigError('a store namespace must be 1 to 40 of a-z, 0-9 and -, starting with a letter or digit', { setting: 'repos', namespace })
  }
  return namespace
}

/**
 * The SQLite file of `namespace` beside `file`: `.N` before the extension
 * (`/d/infra-sync.db` → `/d/infra-sync.N.db`), or appended when the name has
 * none. `:memory:` stays: every connection to it is a database of its own.
 */
export function namespacedSqliteFile(file: string, namespace: string): string {
  checkNamespace(namespace)
  if (file === ':memory:') return file
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'))
  const dot = file.lastIndexOf('.')
  // A dot that starts the name (`.db`) or sits in a folder's name is no extension.
  if (dot <= slash + 1) return `${file}.${namespace}`
  return `${file.slice(0, dot)}.${namespace}${file.slice(dot)}`
}

/** The PostgreSQL schema of `namespace`: `infra_sync_` and the name with dashes as underscores (unquoted identifiers have no dash). */
export function postgresSchema(namespace: string): string {
  return `infra_sync_${checkNamespace(namespace).replace(/-/g, '_')}`
}

/** `name` as a quoted SQL identifier (PostgreSQL's rule: double quotes, an inner one doubled). */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`

/** Whether a caller-given id (AcceptInput.id) may be stored as it is. */
export const isEventId = (id: string): boolean => EVENT_ID.test(id)

export const badEventId = (): ValidationError => new ValidationError('an event id must be a ULID (26 characters of Crockford base32)', { field: 'id' })

/** A given id another event (another delivery and meaning) holds: storing it would make one id name two events. */
export const takenEventId = (id: string): ValidationError => new ValidationError("the event id given is already another event's", { field: 'id', id })
