import { Cron } from 'croner'
import { parseDuration } from '../core/duration.js'
import { ValidationError } from '../core/errors.js'

/** A deploy window as written in the config files. */
export interface WindowConfig {
  readonly kind: 'allow' | 'deny'
  /** Five-field cron: when each window opens. */
  readonly schedule: string
  /** How long each stays open: `8h`, `30m`. */
  readonly duration: string
  /** IANA time zone the schedule is read in (DST included); default UTC. */
  readonly timeZone?: string
}

/** A parsed window: its schedule compiled once. */
export interface DeployWindow {
  readonly kind: 'allow' | 'deny'
  readonly durationMs: number
  readonly cron: Cron
  readonly source: WindowConfig
}

/** Whether changes may go out now, and if not, why and from when. */
export type WindowState = { readonly open: true } | { readonly open: false; readonly reason: 'deny' | 'outside-allow'; readonly nextOpenAt?: Date }

/** Checks and compiles windows; `where` names them in errors (`windows[2]`). Codes: INVALID_WINDOW, INVALID_DURATION. */
export function parseWindows(configs: readonly WindowConfig[], where: string): DeployWindow[] {
  return configs.map((w, i) => {
    const at = `${where}[${i}]`
    if (w.kind !== 'allow' && w.kind !== 'deny') throw new ValidationError(`${at}.kind must be allow or deny`, { path: `${at}.kind` }, 'INVALID_WINDOW')
    if (w.timeZone !== undefined) {
      try {
        new Intl.DateTimeFormat('en', { timeZone: w.timeZone })
      } catch {
        throw new ValidationError(`${at}.timeZone: ${JSON.stringify(w.timeZone)} is not an IANA time zone`, { path: `${at}.timeZone` }, 'INVALID_WINDOW')
      }
    }
    if (typeof w.schedule !== 'string' || w.schedule.trim().split(/\s+/).length !== 5) throw new ValidationError(`${at}.schedule must be a five-field cron expression, e.g. "0 9 * * 1-5"`, { path: `${at}.schedule` }, 'INVALID_WINDOW')
    let cron: Cron
    try {
      cron = new Cron(w.schedule, { timezone: w.timeZone ?? 'UTC', paused: true })
    } catch (e) {
      throw new ValidationError(`${at}.schedule: ${(e as Error).message}`, { path: `${at}.schedule` }, 'INVALID_WINDOW')
    }
    return { kind: w.kind, durationMs: parseDuration(w.duration, `${at}.duration`), cron, source: w }
  })
}

/** Whether `w` is open at `t`: its last opening at or before t, plus its duration, lies after t. */
function active(w: DeployWindow, t: number): boolean {
  const last = w.cron.previousRuns(1, new Date(t + 1))[0]
  return last !== undefined && t - last.getTime() < w.durationMs
}

/** Deny beats allow; with any allow window, only inside one. No windows: always open. */
export function isOpen(windows: readonly DeployWindow[], t: number): boolean {
  if (windows.some((w) => w.kind === 'deny' && active(w, t))) return false
  const allows = windows.filter((w) => w.kind === 'allow')
  return allows.length === 0 || allows.some((w) => active(w, t))
}

/** Openings to look at ahead, per window: a weekly schedule gives about half a year. */
const LOOKAHEAD = 25

/**
 * The state at `now`, and when closed the next moment it opens: the first
 * window boundary (an opening, or the end of one) at which isOpen holds.
 * No such moment within each window's next LOOKAHEAD openings: none given.
 */
export function windowState(windows: readonly DeployWindow[], now: Date): WindowState {
  const t = now.getTime()
  if (isOpen(windows, t)) return { open: true }
  const reason = windows.some((w) => w.kind === 'deny' && active(w, t)) ? 'deny' : 'outside-allow'
  const candidates = new Set<number>()
  for (const w of windows) {
    const last = w.cron.previousRuns(1, new Date(t + 1))[0]
    if (last && last.getTime() + w.durationMs > t) candidates.add(last.getTime() + w.durationMs)
    for (const next of w.cron.nextRuns(LOOKAHEAD, now)) {
      candidates.add(next.getTime())
      candidates.add(next.getTime() + w.durationMs)
    }
  }
  const at = [...candidates].filter((c) => c > t).sort((a, b) => a - b).find((c) => isOpen(windows, c))
  return at === undefined ? { open: false, reason } : { open: false, reason, nextOpenAt: new Date(at) }
}
