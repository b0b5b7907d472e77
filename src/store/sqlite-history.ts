import type Database from 'better-sqlite3'
import type { AppliedRecord } from '../plan/build-change-set.js'
import { deploymentsQuery, healthArgs, recordHealthSql, toDeploymentRecord, type DeploymentRow } from './deployment-rows.js'
import { targetKey, type DeploymentHealth, type DeploymentQuery, type DeploymentRecord, type TargetKey } from './store.js'

/** Runs a statement, mapping the driver's busy and I/O errors (the store's `run`). */
type Run = <T>(fn: () => T) => T

/** The SQLite store's deployment history: the planner's last value per target, history itself, and Argo CD's verdicts on it. */
export function sqliteLastApplied(db: Database.Database, run: Run, keys: readonly TargetKey[]): Map<string, AppliedRecord> {
  const stmt = db.prepare(`SELECT event_id, tag, digest, built_at FROM deployments WHERE service = ? AND environment = ? AND image = ? ORDER BY seq DESC LIMIT 1`)
  const out = new Map<string, AppliedRecord>()
  run(() => {
    for (const k of keys) {
      const r = stmt.get(k.service, k.environment, k.image) as { event_id: string; tag: string | null; digest: string | null; built_at: string } | undefined
      if (r) out.set(targetKey(k), { eventId: r.event_id, builtAt: r.built_at, ...(r.tag !== null && { tag: r.tag }), ...(r.digest !== null && { digest: r.digest }) })
    }
  })
  return out
}

export function sqliteDeployments(db: Database.Database, run: Run, q: DeploymentQuery): DeploymentRecord[] {
  const { sql, params } = deploymentsQuery(q, () => '?')
  return run(() => db.prepare(sql).all(...params) as DeploymentRow[]).map(toDeploymentRecord)
}

export function sqliteRecordHealth(db: Database.Database, run: Run, commit: string, service: string, environment: string, health: DeploymentHealth): number {
  const args = healthArgs(commit, service, environment, health)
  return args ? run(() => db.prepare(recordHealthSql(() => '?')).run(...args)).changes : 0
}
