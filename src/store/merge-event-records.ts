import type { EventRecord } from './store.js'

/** One repo's record of an event (several infra repos each keep their own). */
export interface RepoRecord {
  readonly repo: string
  readonly record: EventRecord
}

/**
 * Which repo's status speaks for the event: one still in the works or given
 * up on comes first (the build is not done), then a refusal, then what was
 * delivered. A status this list does not know goes last.
 */
const PRECEDENCE = ['dead', 'failed', 'queued', 'waiting', 'rejected', 'proposed', 'applied', 'declined', 'superseded', 'skipped']
const rank = (s: string) => (PRECEDENCE.includes(s) ? PRECEDENCE.indexOf(s) : PRECEDENCE.length)

/** A repo that has no service for the image has nothing to say, unless no repo has. */
const noTarget = (r: EventRecord) => r.status === 'skipped' && r.code === 'no-target'

/** Waiting in a repo that has not looked at it: no target decided there yet. */
const undecided = (r: EventRecord) => (r.status === 'queued' || r.status === 'failed') && r.targets.length === 0

/**
 * The event as one record, from each repo's record of it: the status by
 * PRECEDENCE among the repos that decided something (its code and reason
 * with it), every repo's targets (each naming its repo), the commit of a repo
 * that applied it. A repo where it still waits unplanned speaks only when no
 * repo has decided anything. One record is returned as is.
 */
export function mergeEventRecords(all: readonly RepoRecord[]): EventRecord | null {
  if (all.length === 0) return null
  if (all.length === 1) return all[0]!.record
  const useful = all.some((r) => !noTarget(r.record)) ? all.filter((r) => !noTarget(r.record)) : all.slice(0, 1)
  // A repo that has not planned the event yet (its remote is down, say) does not hold back what another repo delivered.
  const decided = useful.filter((r) => !undecided(r.record))
  const lead = [...(decided.length > 0 ? decided : useful)].sort((a, b) => rank(a.record.status) - rank(b.record.status))[0]!.record
  const withCommit = useful.find((r) => r.record.status === 'applied' && r.record.commit) ?? useful.find((r) => r.record.commit)
  const prs = useful.flatMap((r) => (r.record.pullRequest ? [r.record.pullRequest] : []))
  const retries = useful.flatMap((r) => (r.record.status === 'failed' && r.record.nextAttemptAt ? [r.record.nextAttemptAt] : []))
  return {
    id: lead.id,
    source: lead.source,
    deliveryId: lead.deliveryId,
    event: lead.event,
    receivedAt: lead.receivedAt,
    status: lead.status,
    ...(lead.code !== undefined && { code: lead.code }),
    ...(lead.reason !== undefined && { reason: lead.reason }),
    ...(withCommit?.record.commit !== undefined && { commit: withCommit.record.commit, commitRepo: withCommit.repo }),
    ...(prs.length === 1 && { pullRequest: prs[0]! }),
    ...(retries.length > 0 && { nextAttemptAt: retries.sort()[0]! }),
    attempts: Math.max(...useful.map((r) => r.record.attempts)),
    updatedAt: useful.map((r) => r.record.updatedAt).sort().at(-1)!,
    targets: useful.flatMap((r) => r.record.targets.map((t) => ({ ...t, repo: r.repo }))),
  }
}
