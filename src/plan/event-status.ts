import type { EventOutcome, TargetOutcome, TargetStatus } from '../core/change-set.js'

/** A target's status; records from before pull requests have none, and read as their decision says. */
export function targetStatus(t: TargetOutcome): TargetStatus {
  if (t.status) return t.status
  return t.decision === 'update' ? 'applied' : t.decision === 'reject' ? 'rejected' : 'skipped'
}

/**
 * An event's status from its targets, once decided: waiting while any target
 * waits for a deploy window (the event is planned again when it opens); proposed while any target
 * waits in an open PR; applied when one reached the base branch and none
 * waits; then declined, superseded; otherwise the planner's skipped/rejected
 * summary (`fallback`). Failed and dead are the worker's, never derived here.
 */
export function eventStatusOf(targets: readonly TargetOutcome[], fallback: 'skipped' | 'rejected'): EventOutcome['status'] {
  const all = new Set(targets.map(targetStatus))
  for (const s of ['waiting', 'proposed', 'applied', 'declined', 'superseded'] as const) if (all.has(s)) return s
  return fallback
}
