import { ValidationError } from './errors.js'

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const WHOLE = /^(?:\d{1,6}[smhd])+$/
const PART = /(\d{1,6})([smhd])/g

/**
 * A duration as the config files write it: `30s`, `10m`, `8h`, `2d`, or
 * parts together (`1h30m`). Anything else is INVALID_DURATION naming `where`.
 */
export function parseDuration(text: string, where: string): number {
  if (typeof text !== 'string' || !WHOLE.test(text)) throw new ValidationError(`${where}: ${JSON.stringify(text)} is not a duration (write 30s, 10m, 8h, 2d or 1h30m)`, { path: where }, 'INVALID_DURATION')
  let ms = 0
  for (const [, n, unit] of text.matchAll(PART)) ms += Number(n) * UNIT_MS[unit!]!
  if (ms <= 0) throw new ValidationError(`${where}: a duration must be longer than zero`, { path: where }, 'INVALID_DURATION')
  return ms
}

/** The shortest text parseDuration reads back to `ms` (whole seconds). */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms / 1000)
  let out = ''
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`
      rest %= size
    }
  }
  return out || '0s'
}
