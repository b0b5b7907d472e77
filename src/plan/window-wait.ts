import type { EventOutcome, TargetOutcome } from '../core/change-set.js'
import { windowState, type DeployWindow } from '../windows/deploy-windows.js'
import { targetStatus } from './event-status.js'

/** What a target held by a closed window records: why, and when it opens next (when one opens within the look-ahead). */
export interface WindowWait {
  readonly reason: string
  readonly nextOpenAt?: string
}

/** Null when `windows` are open at `now` (or there are none). */
export function windowWait(windows: readonly DeployWindow[], now: Date): WindowWait | null {
  if (windows.length === 0) return null
  const state = windowState(windows, now)
  if (state.open) return null
  const why = state.reason === 'deny' ? 'a deny window is open' : 'outside every allow window'
  if (!state.nextOpenAt) return { reason: `waiting for a deploy window (${why}): none opens soon` }
  const at = state.nextOpenAt.toISOString().replace('.000Z', 'Z')
  return { reason: `waiting for a deploy window: next opens ${at} (${why})`, nextOpenAt: state.nextOpenAt.toISOString() }
}

/**
 * An event with a target held by a window or a promotion waits as a whole, whatever its
 * other targets did: it is claimed again at the earliest opening, and the
 * targets still closed then wait once more. Null when none waits.
 */
export function waitingOutcome(id: string, targets: readonly TargetOutcome[]): EventOutcome | null {
  const waiting = targets.filter((t) => targetStatus(t) === 'waiting')
  if (waiting.length === 0) return null
  const next = waiting.map((t) => t.nextOpenAt).filter((x) => x !== undefined).sort()[0]
  // A window's wait has a time to plan again; a promotion's is woken by the promotion watch.
  const first = waiting.find((t) => t.code === 'window-closed') ?? waiting[0]!
  return { id, status: 'waiting', code: first.code, reason: first.reason, ...(next && { nextOpenAt: next }), targets }
}
