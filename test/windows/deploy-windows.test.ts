import fc from 'fast-check'
import t from 'tap'
import { formatDuration, parseDuration } from '../../src/core/duration.js'
import { isOpen, parseWindows, windowState, type WindowConfig } from '../../src/windows/deploy-windows.js'

const at = (iso: string) => new Date(iso)
const BERLIN_WORKDAY: WindowConfig = { kind: 'allow', schedule: '0 9 * * 1-5', duration: '8h', timeZone: 'Europe/Berlin' }

t.test('an allow window on working days in Berlin, across the spring clock change', async (t) => {
  const w = parseWindows([BERLIN_WORKDAY], 'windows')
  // Friday 27 March 2026, CET (UTC+1): open 09:00-17:00 local.
  t.same(windowState(w, at('2026-03-27T15:59:00Z')), { open: true })
  const friday = windowState(w, at('2026-03-27T16:00:00Z'))
  t.match(friday, { open: false, reason: 'outside-allow' })
  // Clocks go forward on Sunday 29 March: Monday 09:00 local is 07:00 UTC.
  t.equal(friday.open === false && friday.nextOpenAt?.toISOString(), '2026-03-30T07:00:00.000Z')
  t.same(windowState(w, at('2026-03-30T07:00:00Z')), { open: true })
  t.equal(isOpen(w, at('2026-03-30T06:59:59Z').getTime()), false)
})

t.test('and across the autumn one: 09:00 local stays 09:00 local', async (t) => {
  const w = parseWindows([BERLIN_WORKDAY], 'windows')
  // Friday 23 October 2026 is CEST (UTC+2); Monday 26 October is CET (UTC+1).
  const s = windowState(w, at('2026-10-23T15:00:00Z'))
  t.equal(s.open === false && s.nextOpenAt?.toISOString(), '2026-10-26T08:00:00.000Z')
})

t.test('a deny inside an allow: deny wins, and the next opening is the end of the deny', async (t) => {
  const w = parseWindows(
    [
      { kind: 'allow', schedule: '0 8 * * 1-5', duration: '10h', timeZone: 'Europe/Berlin' },
      { kind: 'deny', schedule: '0 12 * * 3', duration: '2h', timeZone: 'Europe/Berlin' },
    ],
    'windows',
  )
  // Wednesday 3 June 2026, CEST: 12:30 local is 10:30 UTC.
  const lunch = windowState(w, at('2026-06-03T10:30:00Z'))
  t.match(lunch, { open: false, reason: 'deny' })
  t.equal(lunch.open === false && lunch.nextOpenAt?.toISOString(), '2026-06-03T12:00:00.000Z')
  t.same(windowState(w, at('2026-06-03T09:59:00Z')), { open: true })
  t.same(windowState(w, at('2026-06-04T10:30:00Z')), { open: true }, 'Thursday lunch is allowed')
})

t.test('no windows: always open; only a deny: open outside it', async (t) => {
  t.same(windowState([], at('2026-06-06T03:00:00Z')), { open: true })
  const w = parseWindows([{ kind: 'deny', schedule: '0 0 * * 6', duration: '48h', timeZone: 'Europe/Berlin' }], 'windows')
  t.match(windowState(w, at('2026-06-06T10:00:00Z')), { open: false, reason: 'deny' })
  t.same(windowState(w, at('2026-06-08T10:00:00Z')), { open: true })
})

t.test('refused: a bad schedule, time zone, kind or duration, naming where', async (t) => {
  const bad: [WindowConfig, string, string][] = [
    [{ ...BERLIN_WORKDAY, schedule: '0 9 * *' }, 'INVALID_WINDOW', 'w[0].schedule'],
    [{ ...BERLIN_WORKDAY, schedule: '0 99 * * *' }, 'INVALID_WINDOW', 'w[0].schedule'],
    [{ ...BERLIN_WORKDAY, timeZone: 'Mars/Olympus' }, 'INVALID_WINDOW', 'w[0].timeZone'],
    [{ ...BERLIN_WORKDAY, kind: 'maybe' as 'allow' }, 'INVALID_WINDOW', 'w[0].kind'],
    [{ ...BERLIN_WORKDAY, duration: '8 hours' }, 'INVALID_DURATION', 'w[0].duration'],
    [{ ...BERLIN_WORKDAY, duration: '0m' }, 'INVALID_DURATION', 'w[0].duration'],
  ]
  for (const [w, code, path] of bad) t.throws(() => parseWindows([w], 'w'), { code, data: { path } }, path)
})

t.test('durations: 30s, 10m, 8h, 2d and combined, read back from their shortest form', async (t) => {
  t.equal(parseDuration('30s', 'd'), 30_000)
  t.equal(parseDuration('10m', 'd'), 600_000)
  t.equal(parseDuration('1h30m', 'd'), 5_400_000)
  t.equal(parseDuration('2d', 'd'), 172_800_000)
  for (const s of ['', '10', 'm', '1.5h', '-1h', '10 m', '1w']) t.throws(() => parseDuration(s, 'd'), { code: 'INVALID_DURATION' }, JSON.stringify(s))
  fc.assert(fc.property(fc.integer({ min: 1, max: 10_000_000 }), (sec) => parseDuration(formatDuration(sec * 1000), 'd') === sec * 1000))
  fc.assert(fc.property(fc.string({ maxLength: 12 }), (s) => {
    try {
      return parseDuration(s, 'd') > 0
    } catch (e) {
      return (e as { code?: string }).code === 'INVALID_DURATION'
    }
  }))
})

t.test('property: when closed, every moment before the next opening is closed and the opening is open', async (t) => {
  const w = parseWindows(
    [
      { kind: 'allow', schedule: '0 8 * * 1-5', duration: '10h', timeZone: 'Europe/Berlin' },
      { kind: 'deny', schedule: '0 12 * * 3', duration: '2h', timeZone: 'Europe/Berlin' },
      { kind: 'deny', schedule: '0 0 24 12 *', duration: '3d', timeZone: 'America/New_York' },
    ],
    'windows',
  )
  const start = Date.parse('2026-01-01T00:00:00Z')
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 365 * 24 * 60 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }), (minute, fractions) => {
      const now = start + minute * 60_000
      const s = windowState(w, new Date(now))
      if (s.open) return isOpen(w, now)
      if (!s.nextOpenAt) return false
      const next = s.nextOpenAt.getTime()
      return next > now && isOpen(w, next) && fractions.every((f) => !isOpen(w, Math.floor(now + f * (next - now - 1))))
    }),
    { numRuns: 200 },
  )
})
