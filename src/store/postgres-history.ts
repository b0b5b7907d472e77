import type pg from 'pg'
import type { AppliedRecord } from '../plan/build-change-set.js'
import { deploymentsQuery, healthArgs, recordHealthSql, toDeploymentRecord, type DeploymentRow } from './deployment-rows.js'
import { query } from './postgres-connection.js'
import { SQL } from './postgres-sql.js'
import { targetKey, type DeploymentHealth, type DeploymentQuery, type DeploymentRecord, type TargetKey } from './store.js'

/** The PostgreSQL store's deployment history: the planner's last value per target, history itself, and Argo CD's verdicts on it. */
export async function pgLastApplied(pool: pg.Pool, where: string, keys: readonly TargetKey[]): Promise<Map<string, AppliedRecord>> {
  const out = new Map<string, AppliedRecord>()
  if (keys.length === 0) return out
  type R = TargetKey & { event_id: string; tag: string | null; digest: string | null; built_at: Date }
  const { rows } = await query<R>(pool, where, SQL.lastApplied, [keys.map((k) => k.service), keys.map((k) => k.environment), keys.map((k) => k.image)])
  for (const r of rows) {
    out.set(targetKey(r), { eventId: r.event_id, builtAt: r.built_at.toISOString(), ...(r.tag !== null && { tag: r.tag }), ...(r.digest !== null && { digest: r.digest }) })
  }
  return out
}

export async function pgDeployments(pool: pg.Pool, where: string, q: DeploymentQuery): Promise<DeploymentRecord[]> {
  const { sql, params } = deploymentsQuery(q, (i) => `$${i}`)
  return (await query<DeploymentRow>(pool, where, sql, params)).rows.map(toDeploymentRecord)
}

export async function pgRecordHealth(pool: pg.Pool, where: string, commit: string, service: string, environment: string, health: DeploymentHealth): Promise<number> {
  const args = healthArgs(commit, service, environment, health)
  return args ? ((await query(pool, where, SQL.recordHealth, args)).rowCount ?? 0) : 0
}
