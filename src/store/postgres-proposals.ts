import type pg from 'pg'
import type { TargetOutcome } from '../core/change-set.js'
import { formatImageValue } from '../editors/editor.js'
import { targetStatus } from '../plan/event-status.js'
import { deploymentArgs, withEventOrigin } from './deployment-rows.js'
import { query } from './postgres-connection.js'
import { fencedTransaction } from './postgres-leases.js'
import { json, mergedAtOf, pgToProposal, type PgEventRow, type PgProposalRow } from './postgres-rows.js'
import { SQL } from './postgres-sql.js'
import { endedTarget, statusAfter } from './sqlite-proposals.js'
import { eventPullRequest } from './sqlite-rows.js'
import { targetKey, type Fence, type ProposalEnd, type ProposalRecord, type ProposalState, type TargetKey } from './store.js'

const waiting = (t: TargetOutcome, service: string, environment: string) => t.service === service && t.environment === environment && targetStatus(t) === 'proposed'

/** The proposal queries of the PostgreSQL store: the SQLite store's (sqlite-proposals.ts) rule for rule, each write in one transaction. */
export class PostgresProposals {
  constructor(
    private readonly pool: pg.Pool,
    private readonly where: string,
  ) {}

  async proposals(keys: readonly TargetKey[]): Promise<Map<string, ProposalState>> {
    const out = new Map<string, { open?: ProposalRecord; declined: ProposalRecord['value'][] }>()
    for (const k of keys) out.set(targetKey(k), { declined: [] })
    if (keys.length === 0) return out
    const { rows } = await query<PgProposalRow>(this.pool, this.where, SQL.proposalsFor, [keys.map((k) => k.service), keys.map((k) => k.environment), keys.map((k) => k.image)])
    for (const r of rows) {
      const state = out.get(targetKey(r))!
      if (r.pr_state === 'open') state.open = pgToProposal(r)
      else state.declined.push(r.value)
    }
    return out
  }

  async openProposals(): Promise<ProposalRecord[]> {
    const { rows } = await query<PgProposalRow>(this.pool, this.where, SQL.openProposals)
    return rows.map(pgToProposal)
  }

  async recordProposal(p: ProposalRecord, now: Date, fence?: Fence): Promise<void> {
    const at = now.toISOString()
    const pr = p.pullRequest
    const reason = `superseded by ${formatImageValue(p.value) ?? 'a newer build'} in pull request #${pr.number}`
    const carried = new Set(p.eventIds)
    await fencedTransaction(this.pool, this.where, fence, async (c) => {
      const before = (await c.query<PgProposalRow>(SQL.openProposalsForUpdate, [p.service, p.environment])).rows
      await c.query(SQL.upsertProposal, [p.service, p.environment, p.image, p.branch, pr.number, pr.url, pr.state, p.headSha, p.contentKey, json(p.value),
        json(p.changes), json(p.eventIds), p.openedAt, at, p.mergeCommit ?? null, p.mergedBy ?? null, p.mergedAt ?? null, p.closedAt ?? null])
      const dropped = new Set(before.flatMap((r) => r.event_ids).filter((id) => !carried.has(id)))
      for (const id of dropped) {
        await rewrite(c, id, at, (t) => (waiting(t, p.service, p.environment) ? { ...t, status: 'superseded', decision: 'skip', code: 'superseded', reason } : null))
      }
      // A change carried over from another (closed) pull request is now this one's: its end must not end it.
      if (before.some((r) => r.pr_number !== pr.number)) {
        for (const id of carried) {
          await rewrite(c, id, at, (t) =>
            waiting(t, p.service, p.environment) && t.pullRequest !== undefined && t.pullRequest.number !== pr.number ? { ...t, pullRequest: pr } : null,
          )
        }
      }
    })
  }

  /** Ends a proposal and its carried targets; returns the ids of the events it changed. */
  async endProposal(service: string, environment: string, number: number, end: ProposalEnd, now: Date, fence?: Fence): Promise<string[]> {
    const at = now.toISOString()
    return fencedTransaction(this.pool, this.where, fence, async (c) => {
      const row = (await c.query<PgProposalRow>(SQL.proposalByNumberForUpdate, [service, environment, number])).rows[0]
      if (!row || row.pr_state !== 'open') return []
      const pr = { number, url: row.pr_url }
      if (end.state === 'merged') {
        await c.query(SQL.proposalMerged, [end.mergeCommit, end.mergedBy ?? null, end.mergedAt, at, row.seq])
        for (const ch of row.changes) {
          const e = (await c.query<PgEventRow>(SQL.event, [ch.eventId])).rows[0]
          const d = { ...ch, commit: end.mergeCommit, appliedAt: end.mergedAt, pullRequest: pr, ...(end.mergedBy !== undefined && { mergedBy: end.mergedBy }) }
          await c.query(SQL.insertDeployment, deploymentArgs(withEventOrigin(d, e)))
        }
      } else await c.query(SQL.proposalClosed, [end.closedAt, at, row.seq])
      const commit = end.state === 'merged' ? end.mergeCommit : null
      const merge = end.state === 'merged' ? { commit: end.mergeCommit, by: end.mergedBy ?? null, at: end.mergedAt } : {}
      const changed: string[] = []
      for (const id of row.event_ids) {
        const did = await rewrite(
          c,
          id,
          at,
          (t) => (waiting(t, service, environment) && (t.pullRequest === undefined || t.pullRequest.number === number) ? endedTarget(t, pr, end.state, merge) : null),
          commit,
        )
        if (did) changed.push(id)
      }
      return changed
    })
  }

  /**
   * Targets finish is about to record as proposed in a pull request that
   * already ended (auto-merge can end it before the batch is written): they
   * read as that end. Runs inside finish's transaction.
   */
  async settle(c: pg.PoolClient, targets: readonly TargetOutcome[]): Promise<{ targets: TargetOutcome[]; mergeCommit?: string } | null> {
    let changed = false
    let mergeCommit: string | undefined
    const next: TargetOutcome[] = []
    for (const t of targets) {
      if (targetStatus(t) !== 'proposed' || !t.pullRequest) {
        next.push(t)
        continue
      }
      const row = (await c.query<PgProposalRow>(SQL.proposalByNumber, [t.service, t.environment, t.pullRequest.number])).rows[0]
      if (!row || row.pr_state === 'open') {
        next.push(t)
        continue
      }
      changed = true
      if (row.pr_state === 'merged') mergeCommit ??= row.merge_commit ?? undefined
      next.push(endedTarget(t, { number: row.pr_number, url: row.pr_url }, row.pr_state, { commit: row.merge_commit, by: row.merged_by, at: mergedAtOf(row) }))
    }
    return changed ? { targets: next, ...(mergeCommit !== undefined && { mergeCommit }) } : null
  }
}

/** Rewrites one event's targets by `fn` (null: unchanged) and recomputes its status; false when nothing changed or there is no such event. */
async function rewrite(c: pg.PoolClient, id: string, at: string, fn: (t: TargetOutcome) => TargetOutcome | null, commit: string | null = null): Promise<boolean> {
  const row = (await c.query<PgEventRow>(SQL.eventForUpdate, [id])).rows[0]
  if (!row) return false
  let changed = false
  const targets = row.targets.map((t) => {
    const n = fn(t)
    if (n) changed = true
    return n ?? t
  })
  if (!changed) return false
  await c.query(SQL.putEventTargets, [json(targets), statusAfter(row.status, targets), eventPullRequest(targets), commit, at, id])
  return true
}
