import t from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import type { PendingEvent } from '../../src/core/change-set.js'
import { buildChangeSet, type FileContent } from '../../src/plan/build-change-set.js'
import { filesNeeded, matchEvent } from '../../src/plan/match-events.js'
import { loadRegistry } from '../../src/projects/registry.js'
import { parseWindows, type WindowConfig } from '../../src/windows/deploy-windows.js'
import { MemoryTree, serviceFiles } from '../helpers/memory-tree.js'

/**
 * Deploy windows as the planner reads them, at an injected clock: a target
 * that would update while its windows are closed waits (status waiting,
 * code window-closed, the next opening named); emergencies and forced
 * rollbacks pass; the most specific list of windows wins.
 */
const IMG = 'ghcr.io/acme/orders-api'
// Weekdays 08:00-16:00 UTC. 2026-12-01 is a Tuesday.
const WEEKDAYS: WindowConfig = { kind: 'allow', schedule: '0 8 * * 1-5', duration: '8h' }
const CLOSED = new Date('2026-12-01T06:00:00Z')
const OPEN = new Date('2026-12-01T09:00:00Z')
const OPENS = '2026-12-01T08:00:00.000Z'

const yaml = (w: WindowConfig) => `{ kind: ${w.kind}, schedule: "${w.schedule}", duration: ${w.duration} }`

function files(service = '', envs: { dev?: string; prod?: string } = {}): Record<string, string> {
  const env = (name: 'dev' | 'prod') => (envs[name] === undefined ? '{}' : `{ windows: ${envs[name]} }`)
  const config = `source: acme/orders-api\nimage: ${IMG}\npolicy: semver\n${service}environments:\n  dev: ${env('dev')}\n  prod: ${env('prod')}\n`
  return serviceFiles('orders-api', config, { dev: '1.4.1', prod: '1.4.1' }, IMG)
}

let n = 0
function pending(event: Partial<BuildEvent>): PendingEvent {
  n++
  return { id: `E${String(n).padStart(3, '0')}`, receivedAt: '2026-11-25T10:00:00.000Z', event: { source: 'acme/orders-api', image: IMG, ref: 'refs/heads/main', ...event } as BuildEvent }
}

async function plan(events: PendingEvent[], now: Date, opts: { files?: Record<string, string>; global?: WindowConfig[] } = {}) {
  const all = opts.files ?? files()
  const registry = await loadRegistry(new MemoryTree(all))
  const matched = events.map((e) => matchEvent(e, registry))
  const contents = new Map<string, FileContent>()
  for (const p of filesNeeded(matched)) contents.set(p, all[p] === undefined ? null : { text: all[p]! })
  return buildChangeSet(matched, contents, () => undefined, { pullRequests: false, now, windows: parseWindows(opts.global ?? [], 'windows') })
}

const byEnv = (o: { targets: readonly { environment: string; status?: string; code: string }[] }) => Object.fromEntries(o.targets.map((x) => [x.environment, [x.status ?? '', x.code]]))

t.test('closed: the event waits, naming the next opening, and nothing is edited', async (t) => {
  const cs = await plan([pending({ tag: '1.4.2' })], CLOSED, { global: [WEEKDAYS] })
  t.equal(cs.edits.length, 0)
  const o = cs.outcomes[0]!
  t.equal(o.status, 'waiting')
  t.equal(o.code, 'window-closed')
  t.equal(o.nextOpenAt, OPENS)
  t.same(byEnv(o), { dev: ['waiting', 'window-closed'], prod: ['waiting', 'window-closed'] })
  t.equal(o.targets[0]!.nextOpenAt, OPENS)
  t.match(o.reason, /2026-12-01T08:00:00Z/)
})

t.test('open: the same event updates', async (t) => {
  const cs = await plan([pending({ tag: '1.4.2' })], OPEN, { global: [WEEKDAYS] })
  t.equal(cs.outcomes[0]!.status, 'applied')
  t.equal(cs.edits.length, 2)
})

t.test('a target that would not update anyway is decided as before, not held', async (t) => {
  const cs = await plan([pending({ tag: '1.4.1' })], CLOSED, { global: [WEEKDAYS] })
  t.equal(cs.outcomes[0]!.status, 'skipped')
  t.equal(cs.outcomes[0]!.code, 'already-current')
})

t.test('an emergency event and a forced rollback pass a closed window; a plain rollback waits', async (t) => {
  const emergency = await plan([pending({ tag: '1.4.2', emergency: true })], CLOSED, { global: [WEEKDAYS] })
  t.equal(emergency.outcomes[0]!.status, 'applied')
  const forced = await plan([pending({ tag: '1.4.0', rollback: { service: 'orders-api', environment: 'dev', request: 'r1', force: true } })], CLOSED, { global: [WEEKDAYS] })
  t.equal(forced.outcomes[0]!.status, 'applied')
  const plain = await plan([pending({ tag: '1.4.0', rollback: { service: 'orders-api', environment: 'dev', request: 'r2' } })], CLOSED, { global: [WEEKDAYS] })
  t.equal(plain.outcomes[0]!.status, 'waiting')
})

t.test('the environment list replaces the service list, which replaces the server list; [] means none', async (t) => {
  const deny = yaml({ kind: 'deny', schedule: '0 0 * * *', duration: '24h' })
  // Service: none ([]), over the server's closed window: both open.
  let cs = await plan([pending({ tag: '1.4.2' })], CLOSED, { global: [WEEKDAYS], files: files('windows: []\n') })
  t.same(byEnv(cs.outcomes[0]!), { dev: ['applied', 'updated'], prod: ['applied', 'updated'] })
  // Service: always denied; prod's own list (empty) replaces it.
  cs = await plan([pending({ tag: '1.4.2' })], OPEN, { files: files(`windows: [${deny}]\n`, { prod: '[]' }) })
  t.same(byEnv(cs.outcomes[0]!), { dev: ['waiting', 'window-closed'], prod: ['applied', 'updated'] })
  t.equal(cs.outcomes[0]!.status, 'waiting', 'one target waits: the event waits, with the other applied')
  t.equal(cs.edits.length, 1)
  // No service list: the server's applies; dev's own replaces it.
  cs = await plan([pending({ tag: '1.4.2' })], CLOSED, { global: [WEEKDAYS], files: files('', { dev: `[${yaml({ kind: 'allow', schedule: '0 5 * * *', duration: '2h' })}]` }) })
  t.same(byEnv(cs.outcomes[0]!), { dev: ['applied', 'updated'], prod: ['waiting', 'window-closed'] })
})

t.test('two builds while closed both wait; once open the newer supersedes the older in the batch', async (t) => {
  const older = pending({ tag: '1.4.2' })
  const newer = pending({ tag: '1.4.3' })
  const closed = await plan([older, newer], CLOSED, { global: [WEEKDAYS] })
  t.same(closed.outcomes.map((o) => o.status), ['waiting', 'waiting'])
  const open = await plan([older, newer], OPEN, { global: [WEEKDAYS] })
  t.same(open.outcomes.map((o) => [o.status, o.code]), [['skipped', 'superseded'], ['applied', undefined]])
  t.match(open.edits[0]!.after, /newTag: 1\.4\.3/)
})

t.test('a bad window refuses the service config', async (t) => {
  const registry = await loadRegistry(new MemoryTree(files('windows: [{ kind: allow, schedule: "not a cron", duration: 8h }]\n')))
  const s = registry.services.get('orders-api')!
  t.equal(s.config, null)
  t.equal(s.error?.code, 'CONFIG_INVALID')
  t.equal(s.error?.data?.path, 'windows[0].schedule')
})

t.test('Berlin working hours with a lunch deny: held inside the deny until its end, and over a weekend across the spring clock change', async (t) => {
  const global: WindowConfig[] = [
    { kind: 'allow', schedule: '0 9 * * 1-5', duration: '8h', timeZone: 'Europe/Berlin' },
    { kind: 'deny', schedule: '0 12 * * *', duration: '1h', timeZone: 'Europe/Berlin' },
  ]
  // Thursday 2026-03-26 12:30 CET (11:30Z): inside the deny; it ends 13:00 CET.
  const lunch = await plan([pending({ tag: '1.4.2' })], new Date('2026-03-26T11:30:00Z'), { global })
  t.equal(lunch.outcomes[0]!.status, 'waiting')
  t.equal(lunch.outcomes[0]!.nextOpenAt, '2026-03-26T12:00:00.000Z')
  // Friday 2026-03-27 18:00 CET: closed until Monday 09:00, which is CEST by then (07:00Z).
  const weekend = await plan([pending({ tag: '1.4.2' })], new Date('2026-03-27T17:00:00Z'), { global })
  t.equal(weekend.outcomes[0]!.nextOpenAt, '2026-03-30T07:00:00.000Z')
  const monday = await plan([pending({ tag: '1.4.2' })], new Date('2026-03-30T07:00:00Z'), { global })
  t.equal(monday.outcomes[0]!.status, 'applied', 'open at the opening itself')
})
