import type { BuildEvent } from '../core/build-event.js'
import type { Deployment, DeploymentHealth, DeploymentKind, DeploymentQuery, DeploymentRecord } from './store.js'

/** The deployments columns both stores write, in the order deploymentArgs gives their values. */
export const DEPLOYMENT_COLUMNS = [
  'event_id', 'service', 'environment', 'image', 'from_value', 'to_value', 'tag', 'digest', 'built_at', 'commit_sha', 'applied_at',
  'source', 'source_commit', 'build_url', 'pr_number', 'pr_url', 'merged_by', 'kind', 'healthy_at', 'failed_at', 'health_reason',
] as const

/** The INSERT of one row, with `placeholder(i)` for the i-th value (SQLite `?`, PostgreSQL `$i`). */
export const insertDeploymentSql = (placeholder: (i: number) => string): string =>
  `INSERT INTO deployments (${DEPLOYMENT_COLUMNS.join(', ')}) VALUES (${DEPLOYMENT_COLUMNS.map((_, i) => placeholder(i + 1)).join(', ')})`

export function deploymentArgs(d: Deployment): (string | number | null)[] {
  return [
    d.eventId, d.service, d.environment, d.image, d.from ?? null, d.to, d.tag ?? null, d.digest ?? null, d.builtAt, d.commit, d.appliedAt,
    d.source ?? null, d.sourceCommit ?? null, d.buildUrl ?? null, d.pullRequest?.number ?? null, d.pullRequest?.url ?? null, d.mergedBy ?? null, d.kind ?? 'deploy',
    d.healthyAt ?? null, d.failedAt ?? null, d.healthReason ?? null,
  ]
}

/** What the event that caused a change says of its origin: filled in by whoever writes the row and has the event. */
export function withEventOrigin(d: Deployment, e: { readonly source: string; readonly event: BuildEvent } | undefined): Deployment {
  if (!e) return d
  const sourceCommit = d.sourceCommit ?? e.event.commit
  const buildUrl = d.buildUrl ?? e.event.buildUrl
  // A rollback's row says so: change-failure figures count them.
  return { ...d, source: d.source ?? e.source, ...(e.event.rollback && d.kind === undefined && { kind: 'rollback' as const }), ...(sourceCommit !== undefined && { sourceCommit }), ...(buildUrl !== undefined && { buildUrl }) }
}

/** A deployments row as either store reads it (PostgreSQL: timestamptz as Date, bigint seq as text). */
export interface DeploymentRow {
  seq: number | string
  event_id: string
  service: string
  environment: string
  image: string
  from_value: string | null
  to_value: string
  tag: string | null
  digest: string | null
  built_at: string | Date
  commit_sha: string
  applied_at: string | Date
  source: string | null
  source_commit: string | null
  build_url: string | null
  pr_number: number | null
  pr_url: string | null
  merged_by: string | null
  kind: DeploymentKind | null
  healthy_at: string | Date | null
  failed_at: string | Date | null
  health_reason: string | null
}

const text = (v: string | Date) => (v instanceof Date ? v.toISOString() : v)

export function toDeploymentRecord(r: DeploymentRow): DeploymentRecord {
  return {
    seq: Number(r.seq),
    eventId: r.event_id,
    service: r.service,
    environment: r.environment,
    image: r.image,
    ...(r.from_value !== null && { from: r.from_value }),
    to: r.to_value,
    ...(r.tag !== null && { tag: r.tag }),
    ...(r.digest !== null && { digest: r.digest }),
    builtAt: text(r.built_at),
    commit: r.commit_sha,
    appliedAt: text(r.applied_at),
    ...(r.source !== null && { source: r.source }),
    ...(r.source_commit !== null && { sourceCommit: r.source_commit }),
    ...(r.build_url !== null && { buildUrl: r.build_url }),
    ...(r.pr_number !== null && r.pr_url !== null && { pullRequest: { number: r.pr_number, url: r.pr_url } }),
    ...(r.merged_by !== null && { mergedBy: r.merged_by }),
    kind: r.kind ?? 'deploy',
    ...(r.healthy_at !== null && { healthyAt: text(r.healthy_at) }),
    ...(r.failed_at !== null && { failedAt: text(r.failed_at) }),
    ...(r.health_reason !== null && { healthReason: r.health_reason }),
  }
}

/**
 * The history query with `placeholder(i)` for the i-th parameter (SQLite `?`,
 * PostgreSQL `$i`): only the filters asked for, so each can use the index.
 */
export function deploymentsQuery(q: DeploymentQuery, placeholder: (i: number) => string): { sql: string; params: (string | number)[] } {
  const where: string[] = []
  const params: (string | number)[] = []
  const add = (clause: string, v: string | number) => {
    params.push(v)
    where.push(`${clause} ${placeholder(params.length)}`)
  }
  if (q.service !== undefined) add('service =', q.service)
  if (q.environment !== undefined) add('environment =', q.environment)
  if (q.before !== undefined) add('seq <', q.before)
  params.push(q.limit)
  return { sql: `SELECT * FROM deployments${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${placeholder(params.length)}`, params }
}

/**
 * Store.recordHealth's UPDATE, with `placeholder(i)` for the i-th value of
 * healthArgs: only rows with no verdict yet, so the first one stands.
 */
export const recordHealthSql = (placeholder: (i: number) => string): string => {
  const p = placeholder
  return `UPDATE deployments SET healthy_at = ${p(1)}, failed_at = ${p(2)}, health_reason = ${p(3)}
    WHERE commit_sha = ${p(4)} AND service = ${p(5)} AND environment = ${p(6)} AND healthy_at IS NULL AND failed_at IS NULL`
}

/** recordHealthSql's values; null when `health` holds no verdict (neither time), which changes no row. */
export function healthArgs(commit: string, service: string, environment: string, health: DeploymentHealth): (string | null)[] | null {
  if (health.healthyAt === undefined && health.failedAt === undefined) return null
  return [health.healthyAt ?? null, health.failedAt ?? null, health.reason ?? null, commit, service, environment]
}
