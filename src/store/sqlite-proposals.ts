import type Database from 'better-sqlite3'
import type { BuildEvent } from '../core/build-event.js'
import type { PullRequestRef, TargetOutcome } from '../core/change-set.js'
import { formatImageValue } from '../editors/editor.js'
import { eventStatusOf, targetStatus } from '../plan/event-status.js'
import { deploymentArgs, insertDeploymentSql, withEventOrigin } from './deployment-rows.js'
import type { SqliteLeases } from './sqlite-leases.js'
import { eventPullRequest, toProposal, type ProposalRow, type Row } from './sqlite-rows.js'
import { targetKey, type Fence, type ProposalEnd, type ProposalRecord, type ProposalState, type TargetKey } from './store.js'

/** Statuses derived from targets; queued, failed and dead are the worker's and stay as they are. */
const DERIVED = new Set(['proposed', 'applied', 'superseded', 'declined', 'skipped', 'rejected'])

const fallbackOf = (targets: readonly TargetOutcome[]) => (targets.some((t) => targetStatus(t) === 'rejected') ? 'rejected' : 'skipped')

/** The event status for targets as they are now, or the current one when it is not derived from them. */
export function statusAfter(current: string, targets: readonly TargetOutcome[]): string {
  return DERIVED.has(current) ? eventStatusOf(targets, fallbackOf(targets)) : current
}

/** A target's change as its pull request ended: applied with the merge, or declined. */
export function endedTarget(t: TargetOutcome, pr: Pick<PullRequestRef, 'number' | 'url'>, end: ProposalEnd['state'], merge: { commit?: string | null; by?: string | null; at?: string | null } = {}): TargetOutcome {
  const pullRequest = {
    number: pr.number,
    url: pr.url,
    state: end,
    ...(end === 'merged' && merge.commit && { mergeCommit: merge.commit }),
    ...(end === 'merged' && merge.by && { mergedBy: merge.by }),
    ...(end === 'merged' && merge.at && { mergedAt: merge.at }),
  }
  const merged = `${t.from ?? 'unset'} → ${t.to ?? '?'} merged in pull request #${pr.number}${merge.by ? ` by ${merge.by}` : ''}${merge.at ? ` at ${merge.at}` : ''}${merge.commit ? ` (${merge.commit.slice(0, 12)})` : ''}`
  return end === 'merged'
    ? { ...t, status: 'applied', decision: 'update', code: 'updated', reason: merged, pullRequest }
    : { ...t, status: 'declined', decision: 'skip', code: 'declined', reason: `pull request #${pr.number} was closed without merging`, pullRequest }
}

const waiting = (t: TargetOutcome, service: string, environment: string) => t.service === service && t.environment === environment && targetStatus(t) === 'proposed'

/** The proposal queries of the SQLite store; each write runs in one transaction the caller's `run` maps errors for. */
export class SqliteProposals {
  private readonly getEvent: Database.Statement
  private readonly putEvent: Database.Statement
  private readonly byNumber: Database.Statement
  private readonly openFor: Database.Statement

  constructor(
    private readonly db: Database.Database,
    private readonly run: <T>(fn: () => T) => T,
    private readonly leases: SqliteLeases,
  ) {
    this.getEvent = db.prepare('SELECT * FROM events WHERE id = ?')
    this.putEvent = db.prepare(
      'UPDATE events SET targets = ?, status = ?, pull_request = ?, commit_sha = COALESCE(commit_sha, ?), updated_at = ? WHERE id = ?',
    )
    this.byNumber = db.prepare('SELECT * FROM proposals WHERE service = ? AND environment = ? AND pr_number = ?')
    this.openFor = db.prepare(`SELECT * FROM proposals WHERE service = ? AND environment = ? AND pr_state = 'open' ORDER BY seq`)
  }

  /** One query for all keys: the keys travel as one JSON array and join the target index. */
  async proposals(keys: readonly TargetKey[]): Promise<Map<string, ProposalState>> {
    const out = new Map<string, { open?: ProposalRecord; declined: ProposalRecord['value'][] }>()
    for (const k of keys) out.set(targetKey(k), { declined: [] })
    if (keys.length === 0) return out
    const rows = this.run(
      () =>
        this.db
          .prepare(
            `SELECT p.* FROM json_each(?) AS k JOIN proposals AS p
               ON p.service = json_extract(k.value, '$[0]') AND p.environment = json_extract(k.value, '$[1]') AND p.image = json_extract(k.value, '$[2]')
             WHERE p.pr_state IN ('open', 'closed') ORDER BY p.seq`,
          )
          .all(JSON.stringify(keys.map((k) => [k.service, k.environment, k.image]))) as ProposalRow[],
    )
    for (const r of rows) {
      const state = out.get(targetKey(r))!
      if (r.pr_state === 'open') state.open = toProposal(r)
      else state.declined.push(JSON.parse(r.value))
    }
    return out
  }

  async openProposals(): Promise<ProposalRecord[]> {
    const rows = this.run(() => this.db.prepare(`SELECT * FROM proposals WHERE pr_state = 'open' ORDER BY opened_at, seq`).all() as ProposalRow[])
    return rows.map(toProposal)
  }

  async recordProposal(p: ProposalRecord, now: Date, fence?: Fence): Promise<void> {
    const at = now.toISOString()
    const upsert = this.db.prepare(
      `INSERT INTO proposals (service, environment, image, branch, pr_number, pr_url, pr_state, head_sha, content_key, value, changes, event_ids,
         opened_at, updated_at, merge_commit, merged_by, merged_at, closed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (service, environment, pr_number) DO UPDATE SET
         image = excluded.image, branch = excluded.branch, pr_url = excluded.pr_url,
         pr_state = CASE WHEN pr_state = 'open' THEN excluded.pr_state ELSE pr_state END,
         head_sha = excluded.head_sha, content_key = excluded.content_key, value = excluded.value, changes = excluded.changes,
         event_ids = excluded.event_ids, updated_at = excluded.updated_at,
         merge_commit = COALESCE(merge_commit, excluded.merge_commit), merged_by = COALESCE(merged_by, excluded.merged_by),
         merged_at = COALESCE(merged_at, excluded.merged_at), closed_at = COALESCE(closed_at, excluded.closed_at)`,
    )
    const pr = p.pullRequest
    const reason = `superseded by ${formatImageValue(p.value) ?? 'a newer build'} in pull request #${pr.number}`
    const carried = new Set(p.eventIds)
    this.leases.transaction(fence, () => {
        const before = this.openFor.all(p.service, p.environment) as ProposalRow[]
        upsert.run(p.service, p.environment, p.image, p.branch, pr.number, pr.url, pr.state, p.headSha, p.contentKey, JSON.stringify(p.value),
          JSON.stringify(p.changes), JSON.stringify(p.eventIds), p.openedAt, at, p.mergeCommit ?? null, p.mergedBy ?? null, p.mergedAt ?? null, p.closedAt ?? null)
        const dropped = new Set(before.flatMap((r) => JSON.parse(r.event_ids) as string[]).filter((id) => !carried.has(id)))
        for (const id of dropped) {
          this.rewrite(id, at, (t) =>
            waiting(t, p.service, p.environment) ? { ...t, status: 'superseded', decision: 'skip', code: 'superseded', reason } : null,
          )
        }
        // A change carried over from another (closed) pull request is now this one's: its end must not end it.
        if (before.some((r) => r.pr_number !== pr.number)) {
          for (const id of carried) {
            this.rewrite(id, at, (t) =>
              waiting(t, p.service, p.environment) && t.pullRequest !== undefined && t.pullRequest.number !== pr.number ? { ...t, pullRequest: pr } : null,
            )
          }
        }
    })
  }

  async endProposal(service: string, environment: string, number: number, end: ProposalEnd, now: Date, fence?: Fence): Promise<string[]> {
    const at = now.toISOString()
    const merged = this.db.prepare(
      `UPDATE proposals SET pr_state = 'merged', merge_commit = ?, merged_by = ?, merged_at = ?, updated_at = ? WHERE seq = ?`,
    )
    const closed = this.db.prepare(`UPDATE proposals SET pr_state = 'closed', closed_at = ?, updated_at = ? WHERE seq = ?`)
    const dep = this.db.prepare(insertDeploymentSql(() => '?'))
    return this.leases.transaction(fence, () => {
        const row = this.byNumber.get(service, environment, number) as ProposalRow | undefined
        if (!row || row.pr_state !== 'open') return []
        const pr = { number, url: row.pr_url }
        if (end.state === 'merged') {
          merged.run(end.mergeCommit, end.mergedBy ?? null, end.mergedAt, at, row.seq)
          for (const c of JSON.parse(row.changes) as ProposalRecord['changes']) {
            const e = this.getEvent.get(c.eventId) as Row | undefined
            const d = { ...c, commit: end.mergeCommit, appliedAt: end.mergedAt, pullRequest: pr, ...(end.mergedBy !== undefined && { mergedBy: end.mergedBy }) }
            dep.run(...deploymentArgs(withEventOrigin(d, e && { source: e.source, event: JSON.parse(e.event) as BuildEvent })))
          }
        } else closed.run(end.closedAt, at, row.seq)
        const commit = end.state === 'merged' ? end.mergeCommit : null
        return (JSON.parse(row.event_ids) as string[]).filter((id) =>
          this.rewrite(
            id,
            at,
            (t) => (waiting(t, service, environment) && (t.pullRequest === undefined || t.pullRequest.number === number) ? endedTarget(t, pr, end.state, end.state === 'merged' ? { commit: end.mergeCommit, by: end.mergedBy ?? null, at: end.mergedAt } : {}) : null),
            commit,
          ),
        )
    })
  }

  /**
   * Targets finish is about to record as proposed in a pull request that
   * already ended (auto-merge can end it before the batch is written): they
   * read as that end. Runs inside finish's transaction.
   */
  settle(targets: readonly TargetOutcome[]): { targets: TargetOutcome[]; mergeCommit?: string } | null {
    let changed = false
    let mergeCommit: string | undefined
    const next = targets.map((t) => {
      if (targetStatus(t) !== 'proposed' || !t.pullRequest) return t
      const row = this.byNumber.get(t.service, t.environment, t.pullRequest.number) as ProposalRow | undefined
      if (!row || row.pr_state === 'open') return t
      changed = true
      if (row.pr_state === 'merged') mergeCommit ??= row.merge_commit ?? undefined
      return endedTarget(t, { number: row.pr_number, url: row.pr_url }, row.pr_state, { commit: row.merge_commit, by: row.merged_by, at: row.merged_at })
    })
    return changed ? { targets: next, ...(mergeCommit !== undefined && { mergeCommit }) } : null
  }

  /** Rewrites one event's targets by `fn` (null: unchanged) and recomputes its status; false when nothing changed or there is no such event. */
  private rewrite(id: string, at: string, fn: (t: TargetOutcome) => TargetOutcome | null, commit: string | null = null): boolean {
    const row = this.getEvent.get(id) as Row | undefined
    if (!row) return false
    let changed = false
    const targets = (JSON.parse(row.targets) as TargetOutcome[]).map((t) => {
      const n = fn(t)
      if (n) changed = true
      return n ?? t
    })
    if (!changed) return false
    this.putEvent.run(JSON.stringify(targets), statusAfter(row.status, targets), eventPullRequest(targets), commit, at, id)
    return true
  }
}
