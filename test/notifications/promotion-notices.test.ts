import t from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import type { EventOutcome, TargetOutcome } from '../../src/core/change-set.js'
import { noticesFor } from '../../src/notifications/notices-for.js'
import type { Registry } from '../../src/projects/registry.js'
import type { EventRecord } from '../../src/store/store.js'

/**
 * What a promotion tells people: a promoted target is 'promoted' (not
 * 'applied'); waiting for the promotion is told once; a stopped promotion is
 * told as 'failed' once; a target kept applied from an earlier plan of the
 * event is not told again when prod follows.
 */
const registry = { services: new Map([['orders-api', { config: { notify: ['ops'] } }]]), byImage: new Map(), configs: new Map() } as unknown as Registry
const event: BuildEvent = { source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2', commit: 'a'.repeat(40) }
const DEV_COMMIT = 'd'.repeat(40)
const INFRA_COMMIT = 'c'.repeat(40)
const record = (status: EventRecord['status'], targets: readonly TargetOutcome[] = []): EventRecord => ({
  id: 'E1', source: 'acme/orders-api', deliveryId: 'd', event, receivedAt: '2026-12-01T06:00:00.000Z', status, attempts: 0, targets, updatedAt: '2026-12-01T06:00:00.000Z',
})
const base = { service: 'orders-api', file: 'f.yaml', image: event.image, from: '1.4.1', to: '1.4.2' }
const devApplied: TargetOutcome = { ...base, environment: 'dev', decision: 'update', status: 'applied', code: 'updated', reason: '1.4.1 → 1.4.2 in f.yaml', update: 'commit' }
const prodPromoted: TargetOutcome = { ...base, environment: 'prod', decision: 'update', status: 'applied', code: 'updated', reason: '1.4.1 → 1.4.2 in f.yaml', update: 'commit', promotedFrom: { environment: 'dev', commit: DEV_COMMIT } }
const prodWaiting: TargetOutcome = { ...base, environment: 'prod', decision: 'skip', status: 'waiting', code: 'promotion-pending', reason: 'waiting for orders-api-dev to be healthy for 10m at 1.4.2' }
const prodStopped: TargetOutcome = { ...base, environment: 'prod', decision: 'skip', status: 'skipped', code: 'promotion-stopped', reason: 'not promoted from dev: orders-api-dev Degraded at 1.4.2' }
const outcome = (status: EventOutcome['status'], targets: TargetOutcome[], code?: string): EventOutcome => ({ id: 'E1', status, ...(code && { code }), targets })
const ctx = { registry, now: new Date('2026-12-01T06:00:00Z') }
const kinds = (out: ReturnType<typeof noticesFor>) => out.map((m) => [m.notice.environment, m.notice.kind])

t.test('an applied target with promotedFrom is told as promoted, with the commit and where it was healthy', async (t) => {
  const out = noticesFor([outcome('applied', [prodPromoted])], [record('waiting', [devApplied, prodWaiting])], new Set(), { ...ctx, commit: INFRA_COMMIT, commitUrl: (sha) => `https://git.example/infra/commit/${sha}` })
  t.same(kinds(out), [['prod', 'promoted']])
  t.match(out[0], { target: 'ops', key: 'orders-api', notice: { from: '1.4.1', to: '1.4.2', commitUrl: `https://git.example/infra/commit/${INFRA_COMMIT}` } })
  t.match(out[0]!.notice.reason, DEV_COMMIT.slice(0, 12))
})

t.test('an applied target without promotedFrom stays applied', async (t) => {
  t.same(kinds(noticesFor([outcome('applied', [devApplied])], [record('queued')], new Set(), ctx)), [['dev', 'applied']])
})

t.test('waiting for a promotion is told once', async (t) => {
  const first = noticesFor([outcome('waiting', [devApplied, prodWaiting], 'promotion-pending')], [record('queued')], new Set(), ctx)
  t.same(kinds(first), [['dev', 'applied'], ['prod', 'waiting']])
  t.equal(first[1]!.notice.reason, prodWaiting.reason)

  const again = noticesFor([outcome('waiting', [devApplied, prodWaiting], 'promotion-pending')], [record('waiting', [devApplied, prodWaiting])], new Set(), ctx)
  t.same(kinds(again), [], 'still waiting: nothing new (dev was told the first time)')
})

t.test('a stopped promotion is told as failed, once: only when the event was waiting on it', async (t) => {
  const stopped = noticesFor([outcome('applied', [devApplied, prodStopped])], [record('waiting', [devApplied, prodWaiting])], new Set(), ctx)
  t.same(kinds(stopped), [['prod', 'failed']])
  t.equal(stopped[0]!.notice.reason, prodStopped.reason)

  const later = noticesFor([outcome('skipped', [prodStopped], 'promotion-stopped')], [record('skipped', [devApplied, prodStopped])], new Set(), ctx)
  t.same(kinds(later), [], 'not again once the event has moved on')
})

t.test('a target kept applied from an earlier plan is not told again', async (t) => {
  const out = noticesFor([outcome('applied', [devApplied, prodPromoted])], [record('waiting', [devApplied, prodWaiting])], new Set(), ctx)
  t.same(kinds(out), [['prod', 'promoted']])
})

t.test('a service that names no notification target hears nothing', async (t) => {
  const quiet = { ...ctx, registry: { services: new Map([['orders-api', { config: { notify: [] } }]]), byImage: new Map(), configs: new Map() } as unknown as Registry }
  t.same(noticesFor([outcome('applied', [prodPromoted])], [record('waiting', [prodWaiting])], new Set(), quiet), [])
})
