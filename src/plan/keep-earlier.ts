import type { TargetOutcome } from '../core/change-set.js'
import { targetStatus } from './event-status.js'

/**
 * An event that waited (for a promotion or a window) is planned again; a
 * target it already changed then reads `already-current`. It keeps the
 * outcome that made the change instead, so the event still says dev was
 * applied (and by which commit) when prod is promoted later.
 */
export function keepEarlier(outcomes: TargetOutcome[], earlier: readonly TargetOutcome[] | undefined): TargetOutcome[] {
  if (!earlier || earlier.length === 0) return outcomes
  return outcomes.map((o) => {
    if (o.code !== 'already-current') return o
    const before = earlier.find((e) => e.service === o.service && e.environment === o.environment && e.file === o.file && e.to === o.to)
    return before && before.decision === 'update' && targetStatus(before) === 'applied' ? before : o
  })
}
