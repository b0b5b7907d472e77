import t from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import type { PendingEvent, TargetOutcome } from '../../src/core/change-set.js'
import { BatchPlanner, type FileContent } from '../../src/plan/build-change-set.js'
import { commitMessage } from '../../src/plan/commit-message.js'
import { filesNeeded, matchEvent } from '../../src/plan/match-events.js'
import type { PromotionView } from '../../src/plan/plan-types.js'
import { loadRegistry } from '../../src/projects/registry.js'
import { parseWindows, type WindowConfig } from '../../src/windows/deploy-windows.js'
import { MemoryTree, serviceFiles } from '../helpers/memory-tree.js'

/**
 * A target with `promote:` as the worker plans it (plan-batch.ts: a
 * BatchPlanner fed the store's promotion records by service, environment and
 * value): it waits until its promotion is cleared, then updates carrying
 * Promoted-From; a stopped or superseded promotion skips; a rollback passes.
 */
const IMG = 'ghcr.io/acme/orders-api'
const DEV_COMMIT = 'd'.repeat(40)
const WEEKDAYS: WindowConfig = { kind: 'allow', schedule: '0 8 * * 1-5', duration: '8h' }
// 2026-12-01 is a Tuesday: 06:00Z is before the window, 09:00Z inside it.
const CLOSED = new Date('2026-12-01T06:00:00Z')
const OPEN = new Date('2026-12-01T09:00:00Z')

function files(opts: { prod?: string; tags?: { dev: string; prod: string } } = {}): Record<string, string> {
  const prod = opts.prod ?? '{ promote: { from: dev, healthyFor: 10m } }'
  const config = `source: acme/orders-api\nimage: ${IMG}\npolicy: semver\nenvironments:\n  dev: {}\n  prod: ${prod}\n`
  return serviceFiles('orders-api', config, opts.tags ?? { dev: '1.4.1', prod: '1.4.1' }, IMG)
}

let n = 0
function pending(event: Partial<BuildEvent>, earlier?: readonly TargetOutcome[]): PendingEvent {
  n++
  return {
    id: `E${String(n).padStart(3, '0')}`,
    receivedAt: '2026-11-25T10:00:00.000Z',
    event: { source: 'acme/orders-api', image: IMG, ref: 'refs/heads/main', commit: 'a'.repeat(40), ...event } as BuildEvent,
    ...(earlier && { earlier }),
  }
}

interface Opts {
  files?: Record<string, string>
  /** The promotion record of orders-api/prod by value; absent: none yet. */
  promotions?: Record<string, PromotionView>
  pullRequests?: boolean
  windows?: WindowConfig[]
  now?: Date
}

async function plan(events: PendingEvent[], opts: Opts = {}) {
  const all = opts.files ?? files()
  const registry = await loadRegistry(new MemoryTree(all))
  const matched = events.map((e) => matchEvent(e, registry))
  const contents = new Map<string, FileContent>()
  for (const p of filesNeeded(matched)) contents.set(p, all[p] === undefined ? null : { text: all[p]! })
  const asked: string[] = []
  const promotions = (service: string, environment: string, value: string) => {
    asked.push(`${service}/${environment}@${value}`)
    return service === 'orders-api' && environment === 'prod' ? opts.promotions?.[value] : undefined
  }
  const planner = new BatchPlanner(contents, () => undefined, {
    pullRequests: opts.pullRequests ?? false,
    promotions,
    windows: parseWindows(opts.windows ?? [], 'windows'),
    now: opts.now ?? OPEN,
  })
  for (const m of matched) planner.add(m)
  return { cs: planner.result(), asked }
}

const target = (o: { targets: readonly TargetOutcome[] }, env: string) => o.targets.find((x) => x.environment === env)!
const DEV_FILE = 'services/orders-api/overlays/dev/kustomization.yaml'
const PROD_FILE = 'services/orders-api/overlays/prod/kustomization.yaml'
const cleared: PromotionView = { state: 'cleared', from: 'dev', fromCommit: DEV_COMMIT }

t.test('no promotion record: prod waits (promotion-pending) while dev in the same event is updated', async (t) => {
  const { cs, asked } = await plan([pending({ tag: '1.4.2' })])
  t.ok(asked.includes('orders-api/prod@1.4.2'), 'asked about prod by the value the file would get')
  const o = cs.outcomes[0]!
  t.equal(o.status, 'waiting')
  t.equal(o.code, 'promotion-pending')
  t.equal(o.nextOpenAt, undefined, 'the promotion watch wakes it, not a time')
  t.match(target(o, 'prod'), { decision: 'skip', status: 'waiting', code: 'promotion-pending', from: '1.4.1', to: '1.4.2' })
  t.equal(target(o, 'prod').promotedFrom, undefined)
  t.match(target(o, 'dev'), { decision: 'update', status: 'applied', code: 'updated' })
  t.same(cs.edits.map((e) => e.path), [DEV_FILE], 'no edit for prod')
  t.same(cs.edits[0]!.changes.map((c) => c.environment), ['dev'])
})

t.test("a waiting record's reason ends the target's reason", async (t) => {
  const { cs } = await plan([pending({ tag: '1.4.2' })], { promotions: { '1.4.2': { state: 'waiting', from: 'dev', reason: 'Progressing: waiting for rollout' } } })
  const prod = target(cs.outcomes[0]!, 'prod')
  t.match(prod, { status: 'waiting', code: 'promotion-pending' })
  t.ok(prod.reason.endsWith(': Progressing: waiting for rollout'), prod.reason)
  t.match(prod.reason, /orders-api-dev/, "names dev's Application")
})

t.test('cleared: prod updates, the change and the target carry promotedFrom, the commit says Promoted-From', async (t) => {
  // Planned again after dev took the build: dev is already current.
  const ev = pending({ tag: '1.4.2' })
  const { cs } = await plan([ev], { files: files({ tags: { dev: '1.4.2', prod: '1.4.1' } }), promotions: { '1.4.2': cleared } })
  const o = cs.outcomes[0]!
  t.equal(o.status, 'applied')
  const prod = target(o, 'prod')
  t.match(prod, { decision: 'update', status: 'applied', code: 'updated', update: 'commit' })
  t.same(prod.promotedFrom, { environment: 'dev', commit: DEV_COMMIT })
  t.equal(target(o, 'dev').code, 'already-current')
  t.same(cs.edits.map((e) => e.path), [PROD_FILE])
  t.same(cs.edits[0]!.changes.map((c) => [c.environment, c.to, c.promotedFrom]), [['prod', '1.4.2', { environment: 'dev', commit: DEV_COMMIT }]])
  const message = commitMessage(cs.edits, new Map([[ev.id, ev]]))
  t.ok(message.split('\n').includes(`Promoted-From: dev@${DEV_COMMIT}`), message)
})

t.test('a cleared record without the from commit still waits', async (t) => {
  const { cs } = await plan([pending({ tag: '1.4.2' })], { promotions: { '1.4.2': { state: 'cleared', from: 'dev' } } })
  t.match(target(cs.outcomes[0]!, 'prod'), { status: 'waiting', code: 'promotion-pending' })
})

t.test('a record for another value does not clear this build', async (t) => {
  const { cs } = await plan([pending({ tag: '1.4.3' })], { promotions: { '1.4.2': cleared } })
  t.match(target(cs.outcomes[0]!, 'prod'), { status: 'waiting', code: 'promotion-pending' })
})

t.test("cleared, pull-request prod: the proposal's changes carry promotedFrom", async (t) => {
  const prodConfig = '{ update: pull-request, promote: { from: dev } }'
  const { cs } = await plan([pending({ tag: '1.4.2' })], { files: files({ prod: prodConfig, tags: { dev: '1.4.2', prod: '1.4.1' } }), pullRequests: true, promotions: { '1.4.2': cleared } })
  const o = cs.outcomes[0]!
  t.equal(o.status, 'proposed')
  const prod = target(o, 'prod')
  t.match(prod, { decision: 'update', status: 'proposed', code: 'proposed', update: 'pull-request' })
  t.same(prod.promotedFrom, { environment: 'dev', commit: DEV_COMMIT })
  t.equal(cs.edits.length, 0)
  t.equal(cs.proposals.length, 1)
  const changes = cs.proposals[0]!.edits.flatMap((e) => e.changes)
  t.same(changes.map((c) => [c.environment, c.promotedFrom]), [['prod', { environment: 'dev', commit: DEV_COMMIT }]])
})

t.test('pull-request prod without a cleared promotion waits, proposing nothing', async (t) => {
  const { cs } = await plan([pending({ tag: '1.4.2' })], { files: files({ prod: '{ update: pull-request, promote: { from: dev } }' }), pullRequests: true })
  t.match(target(cs.outcomes[0]!, 'prod'), { status: 'waiting', code: 'promotion-pending' })
  t.equal(cs.proposals.length, 0)
})

t.test('stopped: prod is skipped (promotion-stopped); superseded: skipped (superseded)', async (t) => {
  const stopped = await plan([pending({ tag: '1.4.2' })], { promotions: { '1.4.2': { state: 'stopped', from: 'dev', reason: 'Degraded' } } })
  const sp = target(stopped.cs.outcomes[0]!, 'prod')
  t.match(sp, { decision: 'skip', status: 'skipped', code: 'promotion-stopped' })
  t.match(sp.reason, /Degraded/)
  t.equal(stopped.cs.outcomes[0]!.status, 'applied', 'dev still applied; the event does not wait')
  t.same(stopped.cs.edits.map((e) => e.path), [DEV_FILE])

  const superseded = await plan([pending({ tag: '1.4.2' })], { promotions: { '1.4.2': { state: 'superseded', from: 'dev', reason: 'dev moved on to 1.4.3' } } })
  t.match(target(superseded.cs.outcomes[0]!, 'prod'), { decision: 'skip', status: 'skipped', code: 'superseded' })
  t.same(superseded.cs.edits.map((e) => e.path), [DEV_FILE])
})

t.test('a rollback of prod passes the promotion', async (t) => {
  const { cs, asked } = await plan([pending({ tag: '1.4.0', rollback: { service: 'orders-api', environment: 'prod', request: 'r1' } })])
  const prod = target(cs.outcomes[0]!, 'prod')
  t.match(prod, { decision: 'update', status: 'applied', code: 'updated', to: '1.4.0' })
  t.equal(prod.promotedFrom, undefined)
  t.same(asked, [], 'no promotion is looked up for a rollback')
  t.same(cs.edits.map((e) => e.path), [PROD_FILE])
})

t.test('cleared, but the deploy window is closed: prod still waits, for the window', async (t) => {
  const { cs } = await plan([pending({ tag: '1.4.2' })], { files: files({ tags: { dev: '1.4.2', prod: '1.4.1' } }), promotions: { '1.4.2': cleared }, windows: [WEEKDAYS], now: CLOSED })
  const o = cs.outcomes[0]!
  t.equal(o.status, 'waiting')
  t.equal(o.code, 'window-closed')
  t.ok(o.nextOpenAt)
  t.match(target(o, 'prod'), { decision: 'skip', status: 'waiting', code: 'window-closed' })
  t.equal(cs.edits.length, 0)
})

t.test("planned again with its earlier targets, the event keeps dev's applied outcome instead of already-current", async (t) => {
  const first = await plan([pending({ tag: '1.4.2' })])
  const before = first.cs.outcomes[0]!
  t.equal(before.status, 'waiting')
  const devBefore = target(before, 'dev')

  // dev's commit landed; prod's promotion cleared since.
  const again = pending({ tag: '1.4.2' }, before.targets)
  const { cs } = await plan([again], { files: files({ tags: { dev: '1.4.2', prod: '1.4.1' } }), promotions: { '1.4.2': cleared } })
  const o = cs.outcomes[0]!
  t.equal(o.status, 'applied')
  t.same(target(o, 'dev'), devBefore, "dev's outcome as the first plan made it")
  t.match(target(o, 'prod'), { decision: 'update', status: 'applied', promotedFrom: { environment: 'dev', commit: DEV_COMMIT } })

  const without = await plan([pending({ tag: '1.4.2' })], { files: files({ tags: { dev: '1.4.2', prod: '1.4.1' } }), promotions: { '1.4.2': cleared } })
  t.equal(target(without.cs.outcomes[0]!, 'dev').code, 'already-current', 'without earlier targets it reads already-current')
})

t.test('an earlier target that was not applied is not kept', async (t) => {
  // The earlier plan skipped dev (say, older): already-current now is the truth.
  const first = await plan([pending({ tag: '1.4.2' })])
  const skippedDev = first.cs.outcomes[0]!.targets.map((x) => (x.environment === 'dev' ? { ...x, decision: 'skip' as const, status: 'skipped' as const, code: 'older' } : x))
  const { cs } = await plan([pending({ tag: '1.4.2' }, skippedDev)], { files: files({ tags: { dev: '1.4.2', prod: '1.4.1' } }) })
  t.equal(target(cs.outcomes[0]!, 'dev').code, 'already-current')
})
