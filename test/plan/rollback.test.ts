import t from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import type { PendingEvent } from '../../src/core/change-set.js'
import { buildChangeSet, type AppliedRecord, type FileContent, type ProposalView } from '../../src/plan/build-change-set.js'
import { commitMessage, eventIdsIn } from '../../src/plan/commit-message.js'
import { filesNeeded, matchEvent } from '../../src/plan/match-events.js'
import type { StorePin } from '../../src/plan/store-pins.js'
import { loadRegistry } from '../../src/projects/registry.js'
import { MemoryTree, serviceFiles } from '../helpers/memory-tree.js'

/**
 * Rollbacks and pins set through the API, as the planner decides them: a
 * store pin holds every build but the rollback that set it; a rollback
 * changes its one target whatever the policy and age rules say.
 */
const IMG = 'ghcr.io/acme/orders-api'
const files: Record<string, string> = {
  ...serviceFiles('orders-api', `source: acme/orders-api\nimage: ${IMG}\npolicy: semver\nenvironments:\n  dev: {}\n  staging: {}\n  prod: { update: pull-request }\n`, { dev: '1.4.1', staging: '1.4.1', prod: '1.4.0' }, IMG),
}
const DEV = 'services/orders-api/overlays/dev/kustomization.yaml'

let n = 0
function pending(event: Partial<BuildEvent>, receivedAt = '2026-11-25T10:00:00.000Z'): PendingEvent {
  n++
  return { id: `E${String(n).padStart(3, '0')}`, receivedAt, event: { source: 'acme/orders-api', image: IMG, ref: 'refs/heads/main', ...event } as BuildEvent }
}
const rollback = (environment: string, tag: string, service = 'orders-api', over: Partial<BuildEvent> = {}) => pending({ tag, rollback: { service, environment, request: `r${n}` }, ...over })

interface Opts {
  readonly files?: Record<string, string>
  readonly history?: Record<string, AppliedRecord>
  readonly pins?: Record<string, StorePin>
  readonly proposals?: Record<string, ProposalView>
  readonly pullRequests?: boolean
}

async function plan(events: PendingEvent[], opts: Opts = {}) {
  const all = opts.files ?? files
  const registry = await loadRegistry(new MemoryTree(all))
  const matched = events.map((e) => matchEvent(e, registry))
  const contents = new Map<string, FileContent>()
  for (const p of filesNeeded(matched)) contents.set(p, all[p] === undefined ? null : { text: all[p]! })
  return buildChangeSet(matched, contents, (s, e, i) => opts.history?.[`${s}/${e}/${i}`], {
    pullRequests: opts.pullRequests ?? false,
    proposals: (s, e) => opts.proposals?.[`${s}/${e}`],
    pins: (s, e) => opts.pins?.[`${s}/${e}`],
  })
}

const applied141: Record<string, AppliedRecord> = { [`orders-api/dev/${IMG}`]: { tag: '1.4.1', builtAt: '2026-11-25T09:00:00.000Z', eventId: 'E-before' } }
const pin: StorePin = { value: '1.4.0', kind: 'rollback', reason: 'bad release', createdAt: '2026-11-25T09:30:00.000Z' }

t.test('a rollback sets an older value on its one target, past the never-downgrade rule and infra-sync\'s own last value', async (t) => {
  const cs = await plan([rollback('dev', '1.4.0')], { history: applied141, pins: { 'orders-api/dev': pin } })
  t.equal(cs.outcomes[0]!.status, 'applied')
  t.same(cs.outcomes[0]!.targets.map((x) => [x.environment, x.decision, x.code, x.from, x.to]), [['dev', 'update', 'updated', '1.4.1', '1.4.0']], 'staging and prod are not its targets')
  t.equal(cs.edits.length, 1)
  t.equal(cs.edits[0]!.path, DEV)
  t.match(cs.edits[0]!.after, /newTag: 1\.4\.0/)
  t.same(cs.edits[0]!.changes.map((c) => [c.environment, c.from, c.to]), [['dev', '1.4.1', '1.4.0']])
})

t.test('a rollback passes the policy: a value the tag policy would filter', async (t) => {
  const cs = await plan([rollback('dev', 'hotfix-build'), pending({ tag: 'hotfix-build2' })])
  t.same(cs.outcomes.map((o) => [o.status, o.code]), [['applied', undefined], ['skipped', 'policy-filtered']], 'a build with such a tag is still filtered')
  t.match(cs.edits[0]!.after, /newTag: hotfix-build\n/)
})

t.test('a store pin holds every build with code pinned; other environments go on', async (t) => {
  const cs = await plan([pending({ tag: '1.4.2' })], { history: applied141, pins: { 'orders-api/dev': pin } })
  t.same(cs.outcomes[0]!.targets.map((x) => [x.environment, x.decision, x.code]), [
    ['dev', 'skip', 'pinned'],
    ['staging', 'update', 'updated'],
    ['prod', 'skip', 'pull-request-unavailable'],
  ])
  t.match(cs.outcomes[0]!.targets[0]!.reason, /2026-11-25T09:30:00\.000Z/, 'the reason says since when')
  t.same(cs.edits.map((e) => e.path), ['services/orders-api/overlays/staging/kustomization.yaml'])
})

t.test("the pin does not hold its own rollback's event, nor a later rollback; a build after it in the same batch is held", async (t) => {
  const pins = { 'orders-api/dev': pin }
  const cs = await plan([rollback('dev', '1.4.0'), pending({ tag: '1.4.3' }), rollback('dev', '1.3.9')], { history: applied141, pins })
  t.same(cs.outcomes.map((o) => o.targets.find((x) => x.environment === 'dev')?.code), ['superseded', 'pinned', 'updated'])
  t.match(cs.edits.find((e) => e.path === DEV)!.after, /newTag: 1\.3\.9/)
})

t.test("a human's pin still wins over a rollback; a rollback to the value there is already-current", async (t) => {
  const cfg = `source: acme/orders-api\nimage: ${IMG}\npolicy: semver\nenvironments:\n  dev: { pin: true }\n  staging: {}\n`
  const f = { ...files, 'services/orders-api/infra-sync.yaml': cfg }
  const held = await plan([rollback('dev', '1.4.0')], { files: f })
  t.same(held.outcomes.map((o) => [o.status, o.code]), [['skipped', 'pinned']])
  const current = await plan([rollback('staging', '1.4.1')])
  t.same(current.outcomes.map((o) => [o.status, o.code]), [['skipped', 'already-current']])
  t.equal(current.edits.length, 0)
})

t.test('a rollback is not asked for its source or branch; an unknown environment is target-missing, an unknown service no-target', async (t) => {
  const cs = await plan([
    rollback('dev', '1.4.0', 'orders-api', { source: 'acme/other', ref: 'refs/heads/feature/x' }),
    rollback('qa', '1.4.0'),
    rollback('dev', '1.4.0', 'nobody'),
    rollback('dev', '1.4.0', 'orders-api', { image: 'ghcr.io/acme/renamed' }),
  ])
  t.same(cs.outcomes.map((o) => [o.status, o.code]), [
    ['applied', undefined],
    ['skipped', 'target-missing'],
    ['skipped', 'no-target'],
    ['skipped', 'target-missing'],
  ])
})

t.test('a rollback of a pull-request environment is proposed, even to a value whose pull request was declined', async (t) => {
  const declined = { 'orders-api/prod': { declined: [{ tag: '1.3.0', builtAt: '2026-11-20T00:00:00.000Z', eventId: 'E-old' }] } }
  const cs = await plan([rollback('prod', '1.3.0')], { pullRequests: true, proposals: declined })
  t.same(cs.outcomes[0]!.targets.map((x) => [x.environment, x.code, x.status]), [['prod', 'proposed', 'proposed']])
  t.same(cs.proposals.map((p) => p.environment), ['prod'])
  const build = await plan([pending({ tag: '1.3.0' })], { pullRequests: true, proposals: declined })
  t.equal(build.outcomes[0]!.targets.find((x) => x.environment === 'prod')!.code, 'older', 'a build of that value is still held')
})

t.test("a rollback's commit says rollback and carries its event", async (t) => {
  const r = rollback('dev', '1.4.0')
  const cs = await plan([r], { history: applied141 })
  const message = commitMessage(cs.edits, new Map([[r.id, r]]))
  t.match(message, /^rollback\(orders-api\/dev\): 1\.4\.1 → 1\.4\.0\n/)
  t.same(eventIdsIn(message), [r.id])
})
