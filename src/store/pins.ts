/** Who set a store pin: a rollback (POST /v1/rollbacks) or a person (POST /v1/pins). */
export type PinKind = 'rollback' | 'manual'

/**
 * A pin set through the API: while it stands, builds never change that
 * (service, environment); a rollback's own event is the one exception. One per
 * (service, environment) in a repo's namespace; a new one replaces it.
 * Pins in infra-sync.yaml and `# infra-sync: pin` comments are the infra
 * repo's own and are not kept here.
 */
export interface PinRecord {
  readonly service: string
  readonly environment: string
  /** The value held (a tag, tag@digest or digest, as the file writes it); absent: whatever is there. */
  readonly value?: string
  readonly kind: PinKind
  readonly reason?: string
  readonly createdAt: string
  /** Several infra repos: the repo (its `repos:` name) whose pin this is. */
  readonly repo?: string
}

export interface PinStore {
  /** Every pin, by service then environment. */
  list(): Promise<PinRecord[]>
  /** Sets the pin of its (service, environment), replacing one there. */
  set(pin: PinRecord): Promise<void>
  /** Removes the pin of (service, environment); false when there was none. */
  remove(service: string, environment: string): Promise<boolean>
}

/** A pins row as either store reads it (PostgreSQL: timestamptz as Date). */
export interface PinRow {
  service: string
  environment: string
  value: string | null
  kind: PinKind
  reason: string | null
  created_at: string | Date
}

export function toPinRecord(r: PinRow): PinRecord {
  return {
    service: r.service,
    environment: r.environment,
    ...(r.value !== null && { value: r.value }),
    kind: r.kind,
    ...(r.reason !== null && { reason: r.reason }),
    createdAt: r.created_at instanceof Date ? r.created_at.toISOString() : r.created_at,
  }
}

export const pinArgs = (p: PinRecord) => [p.service, p.environment, p.value ?? null, p.kind, p.reason ?? null, p.createdAt]

/** The statements both stores run, with `placeholder(i)` for the i-th value (SQLite `?`, PostgreSQL `$i`). */
export function pinSql(placeholder: (i: number) => string) {
  const p = placeholder
  return {
    list: 'SELECT service, environment, value, kind, reason, created_at FROM pins ORDER BY service, environment',
    set: `INSERT INTO pins (service, environment, value, kind, reason, created_at) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)})
      ON CONFLICT (service, environment) DO UPDATE SET value = excluded.value, kind = excluded.kind, reason = excluded.reason, created_at = excluded.created_at`,
    remove: `DELETE FROM pins WHERE service = ${p(1)} AND environment = ${p(2)}`,
  }
}
