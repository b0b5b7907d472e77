import type { FileEdit } from '../core/change-set.js'
import { withEventOrigin } from '../store/deployment-rows.js'
import type { Deployment, EventRecord } from '../store/store.js'

/**
 * The history rows of a batch commit: one per value change, each with the
 * origin its event gave (source, source commit, build URL), so history can
 * answer "which build, from where" without the event, which retention forgets.
 */
export function batchDeployments(edits: readonly FileEdit[], records: readonly EventRecord[], commit: string, now: Date): Deployment[] {
  const byId = new Map(records.map((r) => [r.id, r]))
  return edits.flatMap((e) => e.changes.map((c) => withEventOrigin({ ...c, commit, appliedAt: now.toISOString(), ...(c.promotedFrom && { kind: 'promotion' as const }) }, byId.get(c.eventId))))
}
