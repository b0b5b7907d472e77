/** waiting: the from-environment is not yet healthy at the build; cleared: promote it; stopped: Degraded or a failed sync; superseded: the from-environment moved on. */
export type PromotionState = 'waiting' | 'cleared' | 'stopped' | 'superseded'

/**
 * One build on its way from one environment to the next: whether the
 * from-environment's health lets it go on. One per (service, environment,
 * value) in a repo's namespace; a new word on it replaces the record.
 */
export interface PromotionRecord {
  readonly service: string
  /** The environment promoted TO (e.g. prod). */
  readonly environment: string
  /** The build as the file writes it (e.g. "1.4.2" or "1.4.2@sha256:..."), part of the key. */
  readonly value: string
  /** The environment promoted FROM (e.g. dev). */
  readonly from: string
  /** The infra repo commit that deployed `value` to `from`. */
  readonly fromCommit?: string
  readonly state: PromotionState
  /** The latest word from Argo CD, e.g. "Progressing: waiting for rollout". */
  readonly reason?: string
  /** ISO time. */
  readonly healthySince?: string
  /** ISO time. */
  readonly updatedAt: string
  /** Several infra repos: the repo (its `repos:` name) whose record this is (set by RepoStores' reads, never stored). */
  readonly repo?: string
}

export interface PromotionStore {
  /** Every record, newest updatedAt first (few: one per promoted build). */
  list(): Promise<PromotionRecord[]>
  /** The record of (service, environment, value), or null. */
  get(service: string, environment: string, value: string): Promise<PromotionRecord | null>
  /** Upserts by (service, environment, value). */
  set(record: PromotionRecord): Promise<void>
  /**
   * Makes these waiting events due now (their promotion was decided, or its
   * reason changed): claimed at the next poll, still reading waiting until
   * planned, so what they already did and told stays. Returns how many were waiting.
   */
  wake(eventIds: readonly string[], now: Date): Promise<number>
}

/** A promotions row as either store reads it (PostgreSQL: timestamptz as Date). */
export interface PromotionRow {
  service: string
  environment: string
  value: string
  from_environment: string
  from_commit: string | null
  state: PromotionState
  reason: string | null
  healthy_since: string | Date | null
  updated_at: string | Date
}

const text = (v: string | Date) => (v instanceof Date ? v.toISOString() : v)

export function toPromotionRecord(r: PromotionRow): PromotionRecord {
  return {
    service: r.service,
    environment: r.environment,
    value: r.value,
    from: r.from_environment,
    ...(r.from_commit !== null && { fromCommit: r.from_commit }),
    state: r.state,
    ...(r.reason !== null && { reason: r.reason }),
    ...(r.healthy_since !== null && { healthySince: text(r.healthy_since) }),
    updatedAt: text(r.updated_at),
  }
}

export const promotionArgs = (p: PromotionRecord) => [
  p.service, p.environment, p.value, p.from, p.fromCommit ?? null, p.state, p.reason ?? null, p.healthySince ?? null, p.updatedAt,
]

const COLUMNS = 'service, environment, value, from_environment, from_commit, state, reason, healthy_since, updated_at'

/** The statements both stores run, with `placeholder(i)` for the i-th value (SQLite `?`, PostgreSQL `$i`). */
export function promotionSql(placeholder: (i: number) => string) {
  const p = placeholder
  return {
    // The key last breaks ties, so both stores list records of one instant alike.
    list: `SELECT ${COLUMNS} FROM promotions ORDER BY updated_at DESC, service, environment, value`,
    wake: `UPDATE events SET next_attempt_at = ${p(1)} WHERE id = ${p(2)} AND status = 'waiting'`,
    get: `SELECT ${COLUMNS} FROM promotions WHERE service = ${p(1)} AND environment = ${p(2)} AND value = ${p(3)}`,
    set: `INSERT INTO promotions (${COLUMNS}) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9].map(p).join(', ')})
      ON CONFLICT (service, environment, value) DO UPDATE SET from_environment = excluded.from_environment, from_commit = excluded.from_commit,
        state = excluded.state, reason = excluded.reason, healthy_since = excluded.healthy_since, updated_at = excluded.updated_at`,
  }
}
